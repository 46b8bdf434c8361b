package dev.ferry.server;

import dev.ferry.builder.GitRemote;
import java.util.Optional;

/** The commit a branch of a remote repository points at, for a manual build without a commit. */
@FunctionalInterface
interface BranchHeads {

    /** The head commit of {@code branch}, empty if there is no such branch; fails if the remote cannot be read. */
    Optional<String> head(String cloneUrl, String branch);

    /** {@code git ls-remote --heads} through JGit. */
    static BranchHeads jgit() {
        return (cloneUrl, branch) -> {
            try {
                return GitRemote.branchHead(cloneUrl, branch, 30);
            } catch (GitRemote.Unreadable e) {
                throw new BranchUnreadableException(e.getMessage());
            }
        };
    }

    /** The remote could not be read, and why ({@link GitRemote.Unreadable}, redacted: no credentials). */
    final class BranchUnreadableException extends RuntimeException {
        private final String why;

        BranchUnreadableException(String why) {
            super("the repository cannot be read: " + why);
            this.why = why;
        }

        String why() {
            return why;
        }
    }
}
