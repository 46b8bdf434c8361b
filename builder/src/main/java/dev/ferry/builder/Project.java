package dev.ferry.builder;

import java.util.Objects;

/**
 * A git repository Ferry builds: every branch and pull request of it gets its own deployment.
 *
 * @param name             {@code [a-z0-9][a-z0-9-]*}, the prefix of its deployments' names
 * @param cloneUrl         what JGit fetches from
 * @param productionBranch the branch whose deployment also gets the project config's custom domains
 */
public record Project(String name, String cloneUrl, String productionBranch) {
    public Project {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(cloneUrl, "cloneUrl");
        Objects.requireNonNull(productionBranch, "productionBranch");
    }
}
