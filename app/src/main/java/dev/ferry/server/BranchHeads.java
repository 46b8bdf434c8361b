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

    /**
     * The remote could not be read. Why goes to the log only, with credentials in URLs redacted (JGit's messages hide
     * a URL's password, not a token in its user name); the cause itself is not kept.
     */
    final class BranchUnreadableException extends RuntimeException {
        BranchUnreadableException(Throwable cause) {
            super("the repository cannot be read: " + dev.ferry.builder.Project.redact(String.valueOf(
                    cause.getMessage())) + (cause.getCause() == null ? "" : " ("
                    + dev.ferry.builder.Project.redact(String.valueOf(cause.getCause().getMessage())) + ")"));
        }
    }
}
