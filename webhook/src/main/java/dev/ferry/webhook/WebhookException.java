package dev.ferry.webhook;

import java.util.Objects;

/**
 * A webhook delivery Ferry refuses. The message is written for the forge's delivery log: it names the problem and
 * never echoes a secret or a signature.
 */
public final class WebhookException extends RuntimeException {

    /** Why it was refused; the server maps each kind to one status. */
    public enum Kind {
        /** Missing, malformed or wrong signature (401). */
        UNAUTHORIZED,
        /** The body is larger than the limit (413). */
        TOO_LARGE,
        /** No forge headers, malformed JSON, a required field missing (400). */
        MALFORMED,
        /** The repository is not one of Ferry's projects (404). */
        UNKNOWN_REPOSITORY,
        /** An event type Ferry does not handle (422). */
        UNSUPPORTED_EVENT
    }

    private final Kind kind;

    public WebhookException(Kind kind, String message) {
        super(message);
        this.kind = Objects.requireNonNull(kind, "kind");
    }

    public Kind kind() {
        return kind;
    }
}
