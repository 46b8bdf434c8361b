package dev.ferry.builder;

import java.util.Locale;
import java.util.Objects;

/** What a build is of: a branch, or a pull request (built from its head commit). */
public sealed interface BuildRef {

    /** The part of the deployment name after {@code <project>-}: the branch slug, or {@code pr-<n>}. */
    String slug();

    /** As logs and messages name it: {@code branch main}, {@code pull request #7 (branch feature/x)}. */
    default String describe() {
        return switch (this) {
            case Branch b -> "branch " + b.name();
            case PullRequest pr -> "pull request #" + pr.number() + " (branch " + pr.headBranch() + ")";
        };
    }

    /**
     * {@code <project>-<slug>}: the deployment this ref updates. Not unique to the ref: the deployment's row says
     * which project and ref own it ({@link Deployment#belongsTo}).
     */
    default String deploymentName(Project project) {
        return deploymentName(project.name());
    }

    /** {@code <project>-<slug>}, for a project known by its name only (one no longer configured, say). */
    default String deploymentName(String project) {
        return project + "-" + slug();
    }

    record Branch(String name) implements BuildRef {
        public Branch {
            Objects.requireNonNull(name, "name");
        }

        /** Lower-case, every run of characters outside {@code [a-z0-9]} becomes one {@code -}, none at the ends. */
        @Override
        public String slug() {
            String slug = name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("^-+|-+$", "");
            return slug.isEmpty() ? "branch" : slug;
        }
    }

    record PullRequest(int number, String headBranch) implements BuildRef {
        public PullRequest {
            Objects.requireNonNull(headBranch, "headBranch");
        }

        @Override
        public String slug() {
            return "pr-" + number;
        }
    }
}
