package dev.ferry.server;

import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;
import java.util.Optional;

/**
 * Who may use the JSON API: whoever presents {@code Authorization: Bearer <token from ferry.admin-token-file>}.
 * Mutations always need it; reads too unless {@code ferry.api.public-read} is true. Compared as an
 * {@link AccessToken}. Without a token file the API only serves public reads.
 */
final class AdminAuth {
    private final Optional<AccessToken> token;
    private final boolean publicRead;

    private AdminAuth(Optional<AccessToken> token, boolean publicRead) {
        this.token = token;
        this.publicRead = publicRead;
    }

    static AdminAuth token(String token, boolean publicRead) {
        return new AdminAuth(Optional.of(AccessToken.of(token, "admin")), publicRead);
    }

    static AdminAuth disabled(boolean publicRead) {
        return new AdminAuth(Optional.empty(), publicRead);
    }

    static AdminAuth from(BuilderSettings settings) {
        if (settings.adminTokenFile().isEmpty()) {
            return disabled(settings.publicRead());
        }
        return new AdminAuth(Optional.of(AccessToken.fromFile(settings.adminTokenFile().get(),
                BuilderSettings.ADMIN_TOKEN_FILE, "admin")), settings.publicRead());
    }

    boolean enabled() {
        return token.isPresent();
    }

    void checkRead(ServerRequest request) {
        if (!publicRead) {
            check(request);
        }
    }

    /** Refuses the request unless it carries the admin token. */
    void check(ServerRequest request) {
        if (token.isEmpty()) {
            throw Refusal.forbidden("the API is disabled on this server (no ferry.admin-token-file)");
        }
        Optional<String> bearer = request.headers().first(HeaderNames.AUTHORIZATION).flatMap(AccessToken::bearer);
        token.get().require(bearer, "admin", "Authorization: Bearer TOKEN");
    }

    @Override
    public String toString() {
        return "AdminAuth[" + (enabled() ? "token" : "disabled") + (publicRead ? ", public reads" : "") + "]";
    }
}
