package dev.ferry.builder;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What a project deploys, as its flake output {@code ferry} (or devenv's {@code ferry.config}) evaluates to: see
 * {@code docs/project-config.md}. Parsed by {@link #parse}, which checks every rule and names the field that breaks
 * one.
 */
public record ProjectConfig(SortedMap<String, ServiceConfig> services, SortedMap<String, SiteConfig> sites) {
    public ProjectConfig {
        services = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(services));
        sites = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(sites));
    }

    /** Parses the JSON; throws {@link ProjectConfigException} naming the field on any error. */
    public static ProjectConfig parse(byte[] json) {
        return ProjectConfigReader.parse(json);
    }

    /** Every package named, each once, sorted. */
    public SortedSet<String> packages() {
        SortedSet<String> packages = new TreeSet<>();
        services.values().forEach(s -> packages.add(s.packageName()));
        sites.values().forEach(s -> packages.add(s.packageName()));
        return packages;
    }

    /**
     * A long-running program from a package.
     *
     * @param packageName   a flake attribute, resolved as {@code nix build .#<package>} does
     * @param exec          the program, relative to the package's output ({@code bin/web}; a bare name is in {@code bin})
     * @param http          present when the service answers HTTP (it listens on {@code $PORT})
     * @param customDomains routed to it on the production branch only
     */
    public record ServiceConfig(String name, String packageName, String exec, List<String> args,
                                Optional<HttpConfig> http, Optional<ReadyConfig> ready, Map<String, String> env,
                                Optional<String> envFile, List<String> customDomains, List<String> hosts,
                                boolean primary) {
        public ServiceConfig {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(packageName, "packageName");
            Objects.requireNonNull(exec, "exec");
            args = List.copyOf(args);
            Objects.requireNonNull(http, "http");
            Objects.requireNonNull(ready, "ready");
            env = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(env));
            Objects.requireNonNull(envFile, "envFile");
            customDomains = List.copyOf(customDomains);
            hosts = List.copyOf(hosts);
        }
    }

    /** The service answers HTTP under {@code path}; {@code port} fixes its port (discouraged: see the docs). */
    public record HttpConfig(String path, OptionalInt port) {
        public HttpConfig {
            Objects.requireNonNull(path, "path");
            Objects.requireNonNull(port, "port");
        }
    }

    /** Ready when {@code GET <path>} answers 2xx within {@code timeoutSeconds}. */
    public record ReadyConfig(String path, int timeoutSeconds) {
        public ReadyConfig {
            Objects.requireNonNull(path, "path");
        }
    }

    /** A static site: the package's output served as files. */
    public record SiteConfig(String name, String packageName, boolean spa, List<String> customDomains,
                             List<String> hosts, boolean primary) {
        public SiteConfig {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(packageName, "packageName");
            customDomains = List.copyOf(customDomains);
            hosts = List.copyOf(hosts);
        }
    }
}
