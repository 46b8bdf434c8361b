package dev.ferry.server;

import dev.ferry.cache.ClosureIncompleteException;
import dev.ferry.cache.InvalidKeyException;
import dev.ferry.webhook.WebhookException;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.Method;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.nio.charset.StandardCharsets;

/**
 * The one place where failures become HTTP responses. Bodies are a short text chosen here or a {@link Refusal}'s
 * public message; internal exception messages (which may name files) go to the log only.
 */
final class ErrorResponses {
    private static final System.Logger LOG = System.getLogger(ErrorResponses.class.getName());

    private ErrorResponses() {
    }

    static Status status(Throwable error) {
        return switch (error) {
            case Refusal refusal -> switch (refusal.reason()) {
                case BAD_REQUEST -> Status.BAD_REQUEST_400;
                case UNAUTHORIZED -> Status.UNAUTHORIZED_401;
                case FORBIDDEN -> Status.FORBIDDEN_403;
                case NOT_FOUND -> Status.NOT_FOUND_404;
                case METHOD_NOT_ALLOWED -> Status.METHOD_NOT_ALLOWED_405;
                case CONFLICT -> Status.CONFLICT_409;
                case TOO_LARGE -> Status.REQUEST_ENTITY_TOO_LARGE_413;
                case UNPROCESSABLE -> Status.UNPROCESSABLE_CONTENT_422;
            };
            case WebhookException e -> switch (e.kind()) {
                case UNAUTHORIZED -> Status.UNAUTHORIZED_401;
                case TOO_LARGE -> Status.REQUEST_ENTITY_TOO_LARGE_413;
                case MALFORMED -> Status.BAD_REQUEST_400;
                case UNKNOWN_REPOSITORY -> Status.NOT_FOUND_404;
                case UNSUPPORTED_EVENT -> Status.UNPROCESSABLE_CONTENT_422;
            };
            case InvalidKeyException e -> Status.BAD_REQUEST_400;
            case ClosureIncompleteException e -> Status.CONFLICT_409;
            case BranchHeads.BranchUnreadableException e -> Status.BAD_GATEWAY_502;
            default -> Status.INTERNAL_SERVER_ERROR_500;
        };
    }

    static String body(Throwable error) {
        return switch (error) {
            case Refusal refusal -> refusal.publicMessage();
            // Built by the webhook module from validated, printable-only data; never a secret or signature.
            case WebhookException e -> e.getMessage();
            case InvalidKeyException e -> "invalid object key";
            case ClosureIncompleteException e -> "upload the NAR and the narinfos of all references first";
            // Only on the admin API, and redacted (no credentials from a clone URL): the operator needs the reason.
            case BranchHeads.BranchUnreadableException e -> "the project's repository cannot be read: " + e.why();
            default -> "internal server error";
        };
    }

    /** Registered for {@code Throwable} on the routing: every handler failure comes here. */
    static void handle(ServerRequest request, ServerResponse response, Throwable error) {
        Status status = status(error);
        if (status == Status.INTERNAL_SERVER_ERROR_500) {
            LOG.log(System.Logger.Level.ERROR, request.prologue().method().text() + " "
                    + request.prologue().uriPath().rawPath() + " failed", error);
        } else if (status == Status.BAD_GATEWAY_502) {
            // A repository that cannot be read is the configuration's problem or the remote's, not a server fault.
            LOG.log(System.Logger.Level.WARNING, "{0} {1} failed: {2}", request.prologue().method().text(),
                    request.prologue().uriPath().rawPath(), error.getMessage());
        }
        if (status == Status.UNAUTHORIZED_401) {
            response.header(HeaderNames.WWW_AUTHENTICATE, "Bearer realm=\"ferry\"", "Basic realm=\"ferry\"");
        }
        if (status == Status.METHOD_NOT_ALLOWED_405) {
            response.header(HeaderNames.ALLOW, "GET, HEAD, PUT");
        }
        if (!request.content().consumed()) {
            // Do not read (possibly gigabytes of) a refused upload just to keep the connection.
            response.header(HeaderValues.CONNECTION_CLOSE);
        }
        response.status(status);
        response.header(HeaderValues.CONTENT_TYPE_TEXT_PLAIN);
        if (request.prologue().method() == Method.HEAD) {
            response.send();
        } else {
            response.send((body(error) + "\n").getBytes(StandardCharsets.UTF_8));
        }
    }
}
