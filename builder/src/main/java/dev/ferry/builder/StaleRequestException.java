package dev.ferry.builder;

import java.util.Optional;

/**
 * The remote repository is not where the request says it is (the branch moved on, or still exists), so nothing was
 * built or torn down: a newer push or branch came first, or an old webhook delivery was sent again. The queue ends
 * the build {@code cancelled}, as for a build a newer one superseded, with this message as the reason.
 */
public final class StaleRequestException extends BuildFailedException {
    private final Optional<String> head;

    public StaleRequestException(String message) {
        this(message, Optional.empty());
    }

    /**
     * The branch exists, at {@code head}: the queue builds it after this one if this one took the place of a build of
     * the branch (and nothing newer came).
     */
    public StaleRequestException(String message, String head) {
        this(message, Optional.of(head));
    }

    private StaleRequestException(String message, Optional<String> head) {
        super(message);
        this.head = head;
    }

    /** The commit the branch is at now, if it exists. */
    public Optional<String> head() {
        return head;
    }
}
