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

    /**
     * Whether this is the deployment of {@code ref} of project {@code project}: the same project and the same branch
     * (its exact name) or pull request (its number). Names alone do not say it, since different branches, and
     * branches of different projects, can make the same name ({@code Main} and {@code main}; branch {@code api-main}
     * of project {@code shop} and branch {@code main} of project {@code shop-api}; a branch {@code pr-3} and pull
     * request #3).
     */
    public boolean belongsTo(String project, BuildRef ref) {
        return BuildRecord.refKey(this.project, this.ref).equals(BuildRecord.refKey(project, ref));
    }
}
