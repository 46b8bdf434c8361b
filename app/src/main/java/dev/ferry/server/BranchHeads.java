package dev.ferry.server;

import dev.ferry.builder.GitRemote;
import java.util.Optional;
import org.eclipse.jgit.api.errors.GitAPIException;

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
            } catch (GitAPIException | RuntimeException e) {
                throw new BranchUnreadableException(e);
            }
        };
    }

    /** The remote could not be read; the cause (which may name hosts or paths) goes to the log only. */
    final class BranchUnreadableException extends RuntimeException {
        BranchUnreadableException(Throwable cause) {
            super("the repository cannot be read", cause);
        }
    }
}
