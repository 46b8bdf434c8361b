package dev.ferry.builder;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * Intent, as recorded in the database: deployment {@code name} should run what build {@code buildId} made of
 * {@code commit}. Whether it runs is observed by the deployer, never stored here.
 *
 * @param services   the manifest service names this deployment owns ({@code <name>-<service>})
 * @param sites      the manifest site names it owns
 * @param domains    where it is reachable
 * @param generation the manifest generation that last changed it
 */
public record Deployment(String name, String project, BuildRef ref, String commit, long buildId, long generation,
                         List<String> services, List<String> sites, List<String> domains, Instant updatedAt) {
    public Deployment {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(project, "project");
        Objects.requireNonNull(ref, "ref");
        Objects.requireNonNull(commit, "commit");
        services = List.copyOf(services);
        sites = List.copyOf(sites);
        domains = List.copyOf(domains);
        Objects.requireNonNull(updatedAt, "updatedAt");
    }
}
