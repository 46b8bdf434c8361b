package dev.ferry.builder;

/**
 * The remote repository is not where the request says it is (the branch moved on, or still exists), so nothing was
 * built or torn down: a newer push or branch came first, or an old webhook delivery was sent again. The queue ends
 * the build {@code cancelled}, as for a build a newer one superseded, with this message as the reason.
 */
public final class StaleRequestException extends BuildFailedException {
    public StaleRequestException(String message) {
        super(message);
    }
}
