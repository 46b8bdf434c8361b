package dev.ferry.cache;

import dev.ferry.nix.StorePath;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One generation of the deployment manifest (schema version 1, see {@code docs/manifest.md}): the services and
 * static sites that should run, each pinned to a Nix store path. Manifests hold no secrets: {@code env} values are
 * non-secret by definition, and {@code envFile} and {@code credentials} name files on the host.
 *
 * <p>The records hold values as parsed, with defaults filled in; {@link #parse} checks every rule and
 * {@link #toJson} writes the canonical bytes that are signed. Services and sites are kept sorted by name.
 */
public record Manifest(int version, long generation, Instant createdAt, String reason, List<Service> services,
                       List<Site> sites) {
    public static final int VERSION = 1;
    public static final String NIX_CLOSURE = "nix-closure";

    public Manifest {
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(reason, "reason");
        services = sortedByName(services, Service::name);
        sites = sortedByName(sites, Site::name);
    }

    /** What a cache without any manifest holds: generation 0, nothing deployed. It is never written. */
    public static Manifest empty() {
        return new Manifest(VERSION, 0, Instant.EPOCH, "", List.of(), List.of());
    }

    /** Parses and validates a manifest; the error names every field that breaks a rule. */
    public static Manifest parse(byte[] json) {
        return ManifestJson.parse(json);
    }

    /** The canonical bytes: fixed field order, sorted maps, 2-space indent, ASCII only, a trailing newline. */
    public byte[] toJson() {
        return ManifestJson.render(this);
    }

    public Optional<Service> service(String name) {
        return services.stream().filter(s -> s.name().equals(name)).findFirst();
    }

    public Optional<Site> site(String name) {
        return sites.stream().filter(s -> s.name().equals(name)).findFirst();
    }

    /** This manifest with {@code service} added, or replacing the service of the same name. */
    public Manifest withService(Service service) {
        List<Service> next = new ArrayList<>(services);
        next.removeIf(s -> s.name().equals(service.name()));
        next.add(service);
        return new Manifest(version, generation, createdAt, reason, next, sites);
    }

    /** This manifest without the service {@code name}; an error if there is none. */
    public Manifest withoutService(String name) {
        if (service(name).isEmpty()) {
            throw new ManifestException("generation " + generation + " has no service named '" + name + "'");
        }
        List<Service> next = new ArrayList<>(services);
        next.removeIf(s -> s.name().equals(name));
        return new Manifest(version, generation, createdAt, reason, next, sites);
    }

    /** This manifest with {@code site} added, or replacing the site of the same name. */
    public Manifest withSite(Site site) {
        List<Site> next = new ArrayList<>(sites);
        next.removeIf(s -> s.name().equals(site.name()));
        next.add(site);
        return new Manifest(version, generation, createdAt, reason, services, next);
    }

    /** This manifest without the site {@code name}; an error if there is none. */
    public Manifest withoutSite(String name) {
        if (site(name).isEmpty()) {
            throw new ManifestException("generation " + generation + " has no site named '" + name + "'");
        }
        List<Site> next = new ArrayList<>(sites);
        next.removeIf(s -> s.name().equals(name));
        return new Manifest(version, generation, createdAt, reason, services, next);
    }

    /**
     * This manifest without the service or site {@code name} (names are unique across both); an error naming the
     * generation if it has neither.
     */
    public Manifest withoutEntry(String name) {
        if (service(name).isPresent()) {
            return withoutService(name);
        }
        if (site(name).isPresent()) {
            return withoutSite(name);
        }
        throw new ManifestException("generation " + generation + " has no service or site named '" + name + "'");
    }

    /** Whether both deploy the same services and sites (generation, time and reason aside). */
    public boolean sameContent(Manifest other) {
        return services.equals(other.services) && sites.equals(other.sites);
    }

    /**
     * A long-running program, started from its store path as a systemd unit. {@code credentials} maps a systemd
     * credential name to a file on the host (systemd {@code LoadCredential=}): the service reads the secret at
     * {@code $CREDENTIALS_DIRECTORY/<name>}, and only the path is ever written down.
     */
    public record Service(String name, Artifact artifact, List<String> hosts, Exec exec, Map<String, String> env,
                          Optional<String> envFile, Map<String, String> credentials, Optional<Http> http,
                          Optional<Ready> ready, Systemd systemd, Hardening hardening, Optional<String> revision) {
        public Service {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(artifact, "artifact");
            hosts = List.copyOf(hosts);
            Objects.requireNonNull(exec, "exec");
            env = sorted(env);
            Objects.requireNonNull(envFile, "envFile");
            credentials = sorted(credentials);
            Objects.requireNonNull(http, "http");
            Objects.requireNonNull(ready, "ready");
            Objects.requireNonNull(systemd, "systemd");
            Objects.requireNonNull(hardening, "hardening");
            Objects.requireNonNull(revision, "revision");
        }

        /** A service without credentials (the shape before {@code credentials} existed). */
        public Service(String name, Artifact artifact, List<String> hosts, Exec exec, Map<String, String> env,
                       Optional<String> envFile, Optional<Http> http, Optional<Ready> ready, Systemd systemd,
                       Hardening hardening, Optional<String> revision) {
            this(name, artifact, hosts, exec, env, envFile, Map.of(), http, ready, systemd, hardening, revision);
        }

        /** This service running {@code artifact} instead of its own (a rollback pinned on one host). */
        public Service withArtifact(Artifact artifact) {
            return new Service(name, artifact, hosts, exec, env, envFile, credentials, http, ready, systemd, hardening,
                    revision);
        }

        /** This service with {@code credentials} (name to host path) instead of its own. */
        public Service withCredentials(Map<String, String> credentials) {
            return new Service(name, artifact, hosts, exec, env, envFile, credentials, http, ready, systemd,
                    hardening, revision);
        }

        /**
         * The service object in canonical form (as in the manifest; what {@link #parse} reads). Optional fields that
         * are absent ({@code envFile}, {@code http}, {@code ready}, {@code revision}, and {@code credentials} and
         * {@code http.aliases} when empty) are left out, so these bytes stay the same when a newer Ferry adds an
         * optional field written the same way.
         */
        public byte[] toJson() {
            return ManifestJson.render(this);
        }

        /** Parses one service object (as {@code ferry manifest set-service --file} takes it). */
        public static Service parse(byte[] json, String source) {
            return ManifestJson.parseService(json, source);
        }
    }

    /** What to deploy: a store path whose closure is in the cache. */
    public record Artifact(String type, StorePath storePath) {
        public Artifact {
            Objects.requireNonNull(type, "type");
            Objects.requireNonNull(storePath, "storePath");
        }

        public static Artifact nixClosure(StorePath storePath) {
            return new Artifact(NIX_CLOSURE, storePath);
        }
    }

    /**
     * The program: {@code command} is a name in {@code <storePath>/bin}, a path relative to the store path, or an
     * absolute path inside it; {@code args} follow it, never through a shell.
     */
    public record Exec(String command, List<String> args, Optional<String> user, Optional<String> group) {
        public Exec {
            Objects.requireNonNull(command, "command");
            args = List.copyOf(args);
            Objects.requireNonNull(user, "user");
            Objects.requireNonNull(group, "group");
        }

        /** The program's absolute path when it runs from {@code storePath}. */
        public String program(StorePath storePath) {
            return program(command, storePath);
        }

        /** {@code command} as {@link Exec} resolves it: a name in {@code bin}, relative, or absolute. */
        public static String program(String command, StorePath storePath) {
            String store = storePath.absolute();
            return command.startsWith("/") ? command
                    : command.contains("/") ? store + "/" + command : store + "/bin/" + command;
        }
    }

    /**
     * Route {@code domain} and each of {@code aliases}, + {@code path} (a prefix), to the service. With no
     * {@code internalPort} the deployer picks a free port for every activation and passes it as {@code PORT}, so the
     * new version can start beside the old one; a fixed {@code internalPort} means the old version must stop first.
     */
    public record Http(String domain, List<String> aliases, String path, OptionalInt internalPort) {
        public Http {
            Objects.requireNonNull(domain, "domain");
            aliases = List.copyOf(aliases);
            Objects.requireNonNull(path, "path");
            Objects.requireNonNull(internalPort, "internalPort");
        }

        /** {@code domain} first, then the aliases. */
        public List<String> domains() {
            return concat(domain, aliases);
        }
    }

    /** When a started service counts as ready: for now, an HTTP check. */
    public record Ready(HttpCheck http) {
        public Ready {
            Objects.requireNonNull(http, "http");
        }
    }

    /** {@code GET http://127.0.0.1:<internalPort><path>} answers 2xx within {@code timeoutSeconds} of the start. */
    public record HttpCheck(String path, int timeoutSeconds) {
        public static final String DEFAULT_PATH = "/";
        public static final int DEFAULT_TIMEOUT_SECONDS = 30;

        public HttpCheck {
            Objects.requireNonNull(path, "path");
        }
    }

    /** Unit ordering and restart policy. */
    public record Systemd(List<String> after, List<String> requires, String restart, int restartSec) {
        public static final Systemd DEFAULT = new Systemd(List.of(), List.of(), "on-failure", 5);

        public Systemd {
            after = List.copyOf(after);
            requires = List.copyOf(requires);
            Objects.requireNonNull(restart, "restart");
        }
    }

    /** systemd sandboxing; the defaults are the strict ones. */
    public record Hardening(boolean dynamicUser, boolean privateTmp, String protectSystem, boolean protectHome) {
        public static final Hardening DEFAULT = new Hardening(true, true, "strict", true);

        public Hardening {
            Objects.requireNonNull(protectSystem, "protectSystem");
        }
    }

    /** A static site: the store path's files served by Caddy at {@code http.domain} + {@code http.path}. */
    public record Site(String name, Artifact artifact, List<String> hosts, SiteHttp http, boolean spa) {
        public Site {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(artifact, "artifact");
            hosts = List.copyOf(hosts);
            Objects.requireNonNull(http, "http");
        }

        /** The name it is deployed under on a host (its Caddy route, its profile), beside the services' names. */
        public String deployedName() {
            return "site-" + name;
        }
    }

    public record SiteHttp(String domain, List<String> aliases, String path) {
        public SiteHttp {
            Objects.requireNonNull(domain, "domain");
            aliases = List.copyOf(aliases);
            Objects.requireNonNull(path, "path");
        }

        /** {@code domain} first, then the aliases. */
        public List<String> domains() {
            return concat(domain, aliases);
        }
    }

    private static List<String> concat(String first, List<String> rest) {
        List<String> all = new ArrayList<>(rest.size() + 1);
        all.add(first);
        all.addAll(rest);
        return List.copyOf(all);
    }

    private static <T> List<T> sortedByName(List<T> items, java.util.function.Function<T, String> name) {
        List<T> copy = new ArrayList<>(items);
        copy.sort(Comparator.comparing(name));
        return List.copyOf(copy);
    }

    private static SortedMap<String, String> sorted(Map<String, String> map) {
        return Collections.unmodifiableSortedMap(new TreeMap<>(map));
    }
}
