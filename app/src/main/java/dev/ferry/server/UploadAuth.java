package dev.ferry.server;

import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Locale;
import java.util.Optional;

/**
 * Who may upload: whoever presents the token from {@code ferry.cache.upload-token-file}, as
 * {@code Authorization: Bearer TOKEN} or as the password of HTTP Basic auth (what Nix sends from a netrc file; the
 * user name is ignored), compared as an {@link AccessToken}. Without a token file uploads are disabled.
 */
final class UploadAuth {
    private final Optional<AccessToken> token;

    private UploadAuth(Optional<AccessToken> token) {
        this.token = token;
    }

    static UploadAuth disabled() {
        return new UploadAuth(Optional.empty());
    }

    static UploadAuth token(String token) {
        return new UploadAuth(Optional.of(AccessToken.of(token, "upload")));
    }

    /** Reads the token file: its content with surrounding whitespace (a final newline) removed. */
    static UploadAuth fromFile(Path file) {
        return new UploadAuth(Optional.of(AccessToken.fromFile(file, ServerConfig.UPLOAD_TOKEN_FILE, "upload")));
    }

    boolean enabled() {
        return token.isPresent();
    }

    /** Refuses the request unless it carries the token. */
    void check(ServerRequest request) {
        check(request.headers().first(HeaderNames.AUTHORIZATION));
    }

    void check(Optional<String> authorization) {
        if (token.isEmpty()) {
            throw Refusal.uploadsDisabled();
        }
        token.get().require(authorization.flatMap(UploadAuth::presentedToken), "upload",
                "Authorization: Bearer TOKEN, or Basic with the token as password, as Nix sends from a netrc file");
    }

    /** The token in an Authorization header value: a Bearer token, or the password of Basic credentials. */
    static Optional<String> presentedToken(String authorization) {
        int space = authorization.indexOf(' ');
        if (space <= 0) {
            return Optional.empty();
        }
        String scheme = authorization.substring(0, space).toLowerCase(Locale.ROOT);
        String credentials = authorization.substring(space + 1).strip();
        switch (scheme) {
            case "bearer":
                return AccessToken.bearer(authorization);
            case "basic":
                String decoded;
                try {
                    decoded = new String(Base64.getDecoder().decode(credentials), StandardCharsets.UTF_8);
                } catch (IllegalArgumentException e) {
                    return Optional.empty();
                }
                int colon = decoded.indexOf(':');
                return colon < 0 ? Optional.empty() : Optional.of(decoded.substring(colon + 1));
            default:
                return Optional.empty();
        }
    }

    @Override
    public String toString() {
        return enabled() ? "UploadAuth[token]" : "UploadAuth[disabled]";
    }
}
