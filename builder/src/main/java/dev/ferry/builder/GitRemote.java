package dev.ferry.builder;

import java.util.Optional;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.errors.GitAPIException;

/** What a remote repository says without fetching anything. */
public final class GitRemote {
    private GitRemote() {
    }

    /**
     * The commit {@code branch} of the repository at {@code cloneUrl} points at ({@code git ls-remote --heads}),
     * empty if it has no such branch.
     */
    public static Optional<String> branchHead(String cloneUrl, String branch, int timeoutSeconds)
            throws GitAPIException {
        return Git.lsRemoteRepository().setRemote(cloneUrl).setHeads(true).setTimeout(timeoutSeconds).call().stream()
                .filter(ref -> ref.getName().equals("refs/heads/" + branch))
                .map(ref -> ref.getObjectId().name()).findFirst();
    }
}
