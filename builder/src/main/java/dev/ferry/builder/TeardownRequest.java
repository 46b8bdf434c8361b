package dev.ferry.builder;

import java.util.Objects;
import java.util.Optional;

/**
 * One teardown: the deployment of {@code ref} of project {@code project} ({@code <project>-<slug>}) is removed, if
 * that ref owns it. The project need not be configured any more: the deployment's row holds what the teardown needs.
 *
 * @param configured the project as it is configured now, if it still is; only {@link RefCheck#BRANCH_GONE} needs it
 *                   (to ask its remote)
 * @param check      what is checked of the ref before anything is removed
 */
public record TeardownRequest(String project, BuildRef ref, Optional<Project> configured, RefCheck check) {

    /** What a teardown checks before it removes anything. */
    public enum RefCheck {
        /**
         * The branch must be gone from the remote, else nothing is torn down (a webhook's branch deletion: its
         * signature covers only the body, so an old delivery can be sent again while the branch lives). Branches
         * only.
         */
        BRANCH_GONE,
        /**
         * Torn down as asked: an operator's request through the API, and a closed pull request (forges keep
         * {@code refs/pull/<n>/head} after a close, so the remote cannot tell).
         */
        AS_ASKED
    }

    public TeardownRequest {
        Objects.requireNonNull(project, "project");
        Objects.requireNonNull(ref, "ref");
        Objects.requireNonNull(configured, "configured");
        Objects.requireNonNull(check, "check");
        if (check == RefCheck.BRANCH_GONE && !(ref instanceof BuildRef.Branch)) {
            throw new IllegalArgumentException("only a branch's teardown can require the branch to be gone, not one "
                    + "of " + ref.describe());
        }
        if (configured.isPresent() && !configured.get().name().equals(project)) {
            throw new IllegalArgumentException("project " + configured.get().name() + " is not project " + project);
        }
    }

    /** A teardown of a configured project's ref. */
    public static TeardownRequest of(Project project, BuildRef ref, RefCheck check) {
        return new TeardownRequest(project.name(), ref, Optional.of(project), check);
    }

    /** {@code <project>-<slug>}: the deployment this teardown removes, if {@link #ref} owns it. */
    public String deployment() {
        return ref.deploymentName(project);
    }
}
