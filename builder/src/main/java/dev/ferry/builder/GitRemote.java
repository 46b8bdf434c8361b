package dev.ferry.builder;

import java.util.Optional;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.api.errors.JGitInternalException;

/** What a remote repository says without fetching anything. */
public final class GitRemote {
    private GitRemote() {
    }

    /**
     * The commit {@code branch} of the repository at {@code cloneUrl} points at ({@code git ls-remote --heads}),
     * empty if it has no such branch.
     *
     * @throws Unreadable if the remote cannot be read
     */
    public static Optional<String> branchHead(String cloneUrl, String branch, int timeoutSeconds) {
        try {
            return Git.lsRemoteRepository().setRemote(cloneUrl).setHeads(true).setTimeout(timeoutSeconds).call()
                    .stream().filter(ref -> ref.getName().equals("refs/heads/" + branch))
                    .map(ref -> ref.getObjectId().name()).findFirst();
        } catch (GitAPIException | JGitInternalException e) {
            throw new Unreadable(e);
        }
    }

    /**
     * The remote could not be read. The message says why, with every URL's credentials redacted (JGit hides a URL's
     * password, not a token in its user name); JGit's exception is not kept, so nothing unredacted reaches a log.
     */
    public static final class Unreadable extends RuntimeException {
        Unreadable(Exception e) {
            super(Project.redact(String.valueOf(e.getMessage())) + (e.getCause() == null || e.getCause() == e ? ""
                    : " (" + Project.redact(String.valueOf(e.getCause().getMessage())) + ")"), e);
        }
    }
}
