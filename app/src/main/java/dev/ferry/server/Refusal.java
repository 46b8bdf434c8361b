package dev.ferry.server;

/**
 * A request the server refuses: a reason (mapped to a status by {@link ErrorResponses}) and a short message written
 * for the client. The message is built by the server from request data it has validated, never from an internal
 * exception, so it cannot leak paths or secrets. One exception, on the admin API only: a refused rollback carries the
 * manifest store's own message, written for users (generation numbers, key names, store paths and the cache's URI,
 * which never holds credentials).
 */
final class Refusal extends RuntimeException {
    enum Reason { BAD_REQUEST, UNAUTHORIZED, FORBIDDEN, NOT_FOUND, METHOD_NOT_ALLOWED, CONFLICT, TOO_LARGE, UNPROCESSABLE }

    private final Reason reason;

    private Refusal(Reason reason, String publicMessage) {
        super(publicMessage, null, false, false);
        this.reason = reason;
    }

    Reason reason() {
        return reason;
    }

    /** The text sent to the client. */
    String publicMessage() {
        return getMessage();
    }

    static Refusal badRequest(String publicMessage) {
        return new Refusal(Reason.BAD_REQUEST, publicMessage);
    }

    static Refusal unauthorized(String publicMessage) {
        return new Refusal(Reason.UNAUTHORIZED, publicMessage);
    }

    static Refusal forbidden(String publicMessage) {
        return new Refusal(Reason.FORBIDDEN, publicMessage);
    }

    static Refusal notFound(String publicMessage) {
        return new Refusal(Reason.NOT_FOUND, publicMessage);
    }

    static Refusal unprocessable(String publicMessage) {
        return new Refusal(Reason.UNPROCESSABLE, publicMessage);
    }

    static Refusal uploadsDisabled() {
        return new Refusal(Reason.FORBIDDEN, "uploads are disabled on this server");
    }

    static Refusal notFound() {
        return new Refusal(Reason.NOT_FOUND, "not found");
    }

    static Refusal methodNotAllowed() {
        return new Refusal(Reason.METHOD_NOT_ALLOWED, "method not allowed");
    }

    static Refusal conflict(String publicMessage) {
        return new Refusal(Reason.CONFLICT, publicMessage);
    }

    static Refusal tooLarge(long limit) {
        return new Refusal(Reason.TOO_LARGE, "the body is larger than this server accepts (" + limit + " bytes)");
    }
}
