package dev.ferry.builder;

import java.util.Objects;

/**
 * One build: a commit of a ref of a project; {@code buildId} is its row in the database.
 *
 * @param check whether the commit must still be the branch's head on the remote when the build fetches
 */
public record BuildRequest(long buildId, Project project, BuildRef ref, String commit, CommitCheck check) {

    /** What the build checks of its commit before building it. */
    public enum CommitCheck {
        /**
         * The commit must be the branch's head on the remote when the build fetches, else nothing is built (a
         * webhook push: its signature covers only the body, so an old delivery can be sent again with a new id).
         * Branches only.
         */
        BRANCH_HEAD,
        /** The commit is built as given, wherever the ref is now (builds through the API; pull requests). */
        AS_GIVEN
    }

    public BuildRequest {
        Objects.requireNonNull(project, "project");
        Objects.requireNonNull(ref, "ref");
        Objects.requireNonNull(commit, "commit");
        Objects.requireNonNull(check, "check");
        if (check == CommitCheck.BRANCH_HEAD && !(ref instanceof BuildRef.Branch)) {
            throw new IllegalArgumentException("only a branch build can require its commit to be the branch's head, "
                    + "not one of " + ref.describe());
        }
    }
}
