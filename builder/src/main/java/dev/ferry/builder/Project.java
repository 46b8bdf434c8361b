package dev.ferry.builder;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A git repository Ferry builds: every branch and pull request of it gets its own deployment.
 *
 * @param name             {@code [a-z0-9][a-z0-9-]*}, the prefix of its deployments' names
 * @param cloneUrl         what JGit fetches from
 * @param productionBranch the branch whose deployment also gets the project config's custom domains
 */
public record Project(String name, String cloneUrl, String productionBranch) {
    private static final Pattern USER_INFO = Pattern.compile("(://)[^/@]*@");

    public Project {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(cloneUrl, "cloneUrl");
        Objects.requireNonNull(productionBranch, "productionBranch");
    }

    /** The clone URL without its credentials ({@code https://user:token@host/...} as {@code https://***@host/...}). */
    public String redactedCloneUrl() {
        return redact(cloneUrl);
    }

    /** {@code text} with the credentials of every URL in it replaced by {@code ***}: safe for logs and answers. */
    public static String redact(String text) {
        return USER_INFO.matcher(text).replaceAll("$1***@");
    }
}
