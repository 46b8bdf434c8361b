package dev.ferry.builder;

import dev.ferry.builder.ProjectConfig.ServiceConfig;
import dev.ferry.builder.ProjectConfig.SiteConfig;
import dev.ferry.cache.Manifest;
import dev.ferry.nix.StorePath;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * What a release writes for one deployment: its manifest entries (plan), and the pure change that puts them into a
 * manifest in place of the entries the deployment owned before (see "Names and domains" in
 * {@code docs/project-config.md}).
 *
 * @param services the deployment's services, named {@code <deployment>-<service>} (shortened to 63 characters)
 * @param sites    its sites, named the same way
 * @param domains  every domain routed to it, in the order of its entries
 */
record Release(String deployment, List<Manifest.Service> services, List<Manifest.Site> sites, List<String> domains) {
    static final int MAX_LABEL = 63;

    Release {
        services = List.copyOf(services);
        sites = List.copyOf(sites);
        domains = List.copyOf(domains);
    }

    /** The entries for {@code config} built as {@code outputs} (package name to store path). */
    static Release plan(Project project, BuildRef ref, String commit, ProjectConfig config,
                        Map<String, StorePath> outputs, String ephemeralDomain) {
        String deployment = ref.deploymentName(project);
        boolean production = production(project, ref);
        Optional<String> primary = primary(config);
        List<Manifest.Service> services = new ArrayList<>();
        List<Manifest.Site> sites = new ArrayList<>();
        Set<String> domains = new LinkedHashSet<>();
        for (ServiceConfig s : config.services().values()) {
            String name = entryName(deployment, s.name());
            Optional<Manifest.Http> http = s.http().map(h -> {
                List<String> names = domains(deployment, s.name(), primary, ephemeralDomain,
                        production ? s.customDomains() : List.of());
                domains.addAll(names);
                return new Manifest.Http(names.getFirst(), names.subList(1, names.size()), h.path(), h.port());
            });
            java.util.Map<String, String> env = new java.util.TreeMap<>(s.env());
            s.http().flatMap(h -> h.port().isPresent() ? Optional.of(h.port().getAsInt()) : Optional.empty())
                    .ifPresent(port -> env.put("PORT", Integer.toString(port)));
            Optional<String> envFile = production ? s.envFile() : Optional.empty(); // see withheld
            services.add(new Manifest.Service(name, Manifest.Artifact.nixClosure(outputs.get(s.packageName())),
                    s.hosts(), new Manifest.Exec(s.exec(), s.args(), Optional.empty(), Optional.empty()), env,
                    envFile, http, s.ready().map(r -> new Manifest.Ready(new Manifest.HttpCheck(r.path(),
                    r.timeoutSeconds()))), Manifest.Systemd.DEFAULT, Manifest.Hardening.DEFAULT,
                    Optional.of(commit)));
        }
        for (SiteConfig s : config.sites().values()) {
            List<String> names = domains(deployment, s.name(), primary, ephemeralDomain,
                    production ? s.customDomains() : List.of());
            domains.addAll(names);
            sites.add(new Manifest.Site(entryName(deployment, s.name()),
                    Manifest.Artifact.nixClosure(outputs.get(s.packageName())), s.hosts(),
                    new Manifest.SiteHttp(names.getFirst(), names.subList(1, names.size()), "/"), s.spa()));
        }
        return new Release(deployment, services, sites, List.copyOf(domains));
    }

    /**
     * Whether {@code ref} is the project's production branch. Only its deployment gets the config's custom domains
     * and {@code envFile}s: any branch or pull request (from a fork, too) can name production's secrets file, whose
     * path the manifest shows.
     */
    static boolean production(Project project, BuildRef ref) {
        return ref instanceof BuildRef.Branch b && b.name().equals(project.productionBranch());
    }

    /**
     * The build log's lines for what {@link #plan} leaves out of a deployment that is not production's: one per
     * {@code envFile} and per entry with custom domains; none on production.
     */
    static List<String> withheld(Project project, BuildRef ref, ProjectConfig config) {
        if (production(project, ref)) {
            return List.of();
        }
        List<String> lines = new ArrayList<>();
        for (ServiceConfig s : config.services().values()) {
            s.envFile().ifPresent(file -> lines.add("service " + s.name() + ": envFile " + file + " is not used: "
                    + "secrets go to the production branch's deployment only"));
            customDomains(lines, "service " + s.name(), s.customDomains());
        }
        for (SiteConfig s : config.sites().values()) {
            customDomains(lines, "site " + s.name(), s.customDomains());
        }
        return lines;
    }

    private static void customDomains(List<String> lines, String entry, List<String> domains) {
        if (!domains.isEmpty()) {
            lines.add(entry + ": customDomain " + String.join(", ", domains) + " is not routed here: custom domains "
                    + "go to the production branch's deployment only");
        }
    }

    /** The manifest names this release owns. */
    List<String> names() {
        List<String> names = new ArrayList<>();
        services.forEach(s -> names.add(s.name()));
        sites.forEach(s -> names.add(s.name()));
        return names;
    }

    /** A route ({@code domain + path}) of entry {@code entry} of this release that {@code holder} already serves. */
    record Clash(String route, String entry, String holder) {
    }

    /**
     * The first route of this release that another entry of {@code after} (the manifest {@link #change} made) serves
     * too: the manifest's own rule would refuse it, in its terms ({@code services[2].http: ...}). Checked on the
     * result, so entries the change replaced (its own, and any of the same name) never clash.
     */
    Optional<Clash> clash(Manifest after) {
        Set<String> ours = Set.copyOf(names()); // services and sites share one name space
        Map<String, String> taken = new java.util.HashMap<>();
        for (Manifest.Service s : after.services()) {
            if (!ours.contains(s.name())) {
                s.http().ifPresent(h -> h.domains().forEach(d -> taken.putIfAbsent(d + h.path(), s.name())));
            }
        }
        for (Manifest.Site s : after.sites()) {
            if (!ours.contains(s.name())) {
                s.http().domains().forEach(d -> taken.putIfAbsent(d + s.http().path(), s.name()));
            }
        }
        List<Clash> clashes = new ArrayList<>();
        for (Manifest.Service s : services) {
            s.http().ifPresent(h -> h.domains().stream().filter(d -> taken.containsKey(d + h.path()))
                    .forEach(d -> clashes.add(new Clash(d + h.path(), s.name(), taken.get(d + h.path())))));
        }
        for (Manifest.Site s : sites) {
            s.http().domains().stream().filter(d -> taken.containsKey(d + s.http().path()))
                    .forEach(d -> clashes.add(new Clash(d + s.http().path(), s.name(), taken.get(d + s.http().path()))));
        }
        return clashes.stream().findFirst();
    }

    /**
     * The change: removes {@code previous} (the names the deployment owned, as recorded; an entry already gone is
     * skipped) and puts this release's entries in. Pure, as {@code ManifestStore.update} requires.
     */
    UnaryOperator<Manifest> change(Set<String> previous) {
        return base -> {
            Manifest m = remove(base, previous);
            for (Manifest.Service s : services) {
                m = m.withService(s);
            }
            for (Manifest.Site s : sites) {
                m = m.withSite(s);
            }
            return m;
        };
    }

    /** Removes the entries named in {@code names} that {@code base} holds. */
    static Manifest remove(Manifest base, Set<String> names) {
        Manifest m = base;
        for (String name : names) {
            if (m.service(name).isPresent() || m.site(name).isPresent()) {
                m = m.withoutEntry(name);
            }
        }
        return m;
    }

    /**
     * An entry's domains: {@code <deployment>-<entry>.<ephemeral>} always; the deployment's own
     * {@code <deployment>.<ephemeral>} first if the entry is the primary one; then the custom domains.
     */
    static List<String> domains(String deployment, String entry, Optional<String> primary, String ephemeral,
                                List<String> custom) {
        List<String> names = new ArrayList<>();
        if (primary.isPresent() && primary.get().equals(entry)) {
            names.add(label(deployment) + "." + ephemeral);
        }
        names.add(entryName(deployment, entry) + "." + ephemeral);
        names.addAll(custom);
        return names;
    }

    /** The entry that gets {@code <deployment>.<ephemeral>}: the one marked primary, else the only HTTP entry. */
    static Optional<String> primary(ProjectConfig config) {
        List<String> http = new ArrayList<>();
        for (ServiceConfig s : config.services().values()) {
            if (s.primary()) {
                return Optional.of(s.name());
            }
            if (s.http().isPresent()) {
                http.add(s.name());
            }
        }
        for (SiteConfig s : config.sites().values()) {
            if (s.primary()) {
                return Optional.of(s.name());
            }
            http.add(s.name());
        }
        return http.size() == 1 ? Optional.of(http.getFirst()) : Optional.empty();
    }

    /** {@code <deployment>-<entry>}, shortened to a DNS label (see {@link #label}). */
    static String entryName(String deployment, String entry) {
        return label(deployment + "-" + entry);
    }

    /**
     * {@code name} if it has at most 63 characters; else its first 54 characters (without a trailing dash), a dash and
     * 8 hex digits of its SHA-256, so that different long names stay different and the result is a valid manifest
     * name and DNS label.
     */
    static String label(String name) {
        if (name.length() <= MAX_LABEL) {
            return name;
        }
        String head = name.substring(0, MAX_LABEL - 9).replaceAll("-+$", "");
        return head + "-" + sha256(name).substring(0, 8);
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
