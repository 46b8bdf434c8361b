package dev.ferry.server;

import dev.ferry.cache.ObjectKeys;
import io.helidon.webserver.http.ServerRequest;
import java.util.Locale;

/**
 * The object key a request names: its raw path after {@code /cache/}, never decoded, checked with
 * {@link ObjectKeys} before any storage call. A percent sign is not a key character, so {@code %2e%2e} is refused as
 * plainly as {@code ..}.
 */
final class RequestKeys {
    static final String PREFIX = "/cache/";

    private RequestKeys() {
    }

    static String key(ServerRequest request) {
        String raw = request.prologue().uriPath().rawPath();
        if (!raw.startsWith(PREFIX) || raw.length() == PREFIX.length()) {
            throw Refusal.notFound();
        }
        String key = raw.substring(PREFIX.length());
        if (!ObjectKeys.isValid(key)) {
            throw Refusal.badRequest("invalid object key");
        }
        return key;
    }

    /**
     * Whether a raw request path has a {@code .} or {@code ..} segment, literally or percent-encoded. Helidon routes
     * on the normalised path ({@code /cache/../x} is routed as {@code /x}), so such paths are refused before routing.
     */
    static boolean hasDotSegment(String rawPath) {
        for (String segment : rawPath.split("/", -1)) {
            String s = segment.toLowerCase(Locale.ROOT).replace("%2e", ".");
            if (s.equals(".") || s.equals("..")) {
                return true;
            }
        }
        return false;
    }
}
