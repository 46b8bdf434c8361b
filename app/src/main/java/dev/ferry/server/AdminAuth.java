package dev.ferry.server;

import dev.ferry.nix.HashAlgorithm;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Locale;
import java.util.Optional;

/**
 * Who may use the JSON API: whoever presents {@code Authorization: Bearer <token from ferry.admin-token-file>}.
 * Mutations always need it; reads too unless {@code ferry.api.public-read} is true. Compared as SHA-256 digests with
 * {@link MessageDigest#isEqual}, as {@link UploadAuth} does. Without a token file the API only serves public reads.
 */
final class AdminAuth {
    private final Optional<byte[]> tokenDigest;
    private final boolean publicRead;

    private AdminAuth(Optional<byte[]> tokenDigest, boolean publicRead) {
        this.tokenDigest = tokenDigest;
        this.publicRead = publicRead;
    }

    static AdminAuth token(String token, boolean publicRead) {
        if (token.length() < UploadAuth.MIN_TOKEN_LENGTH || token.chars().anyMatch(c -> c <= 0x20 || c >= 0x7f)) {
            throw new IllegalArgumentException("an admin token must be at least " + UploadAuth.MIN_TOKEN_LENGTH
                    + " printable ASCII characters without spaces");
        }
        return new AdminAuth(Optional.of(digest(token)), publicRead);
    }

    static AdminAuth disabled(boolean publicRead) {
        return new AdminAuth(Optional.empty(), publicRead);
    }

    static AdminAuth from(BuilderSettings settings) {
        if (settings.adminTokenFile().isEmpty()) {
            return disabled(settings.publicRead());
        }
        Path file = settings.adminTokenFile().get();
        String token;
        try {
            token = Files.readString(file, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw new InvalidConfigException(BuilderSettings.ADMIN_TOKEN_FILE, file + " cannot be read ("
                    + e.getClass().getSimpleName() + ")", e);
        }
        try {
            return token(token, settings.publicRead());
        } catch (IllegalArgumentException e) {
            throw new InvalidConfigException(BuilderSettings.ADMIN_TOKEN_FILE, file + ": " + e.getMessage());
        }
    }

    boolean enabled() {
        return tokenDigest.isPresent();
    }

    void checkRead(ServerRequest request) {
        if (!publicRead) {
            check(request);
        }
    }

    /** Refuses the request unless it carries the admin token. */
    void check(ServerRequest request) {
        if (tokenDigest.isEmpty()) {
            throw Refusal.forbidden("the API is disabled on this server (no ferry.admin-token-file)");
        }
        Optional<String> presented = request.headers().first(HeaderNames.AUTHORIZATION).flatMap(AdminAuth::bearer);
        if (presented.isEmpty() || !MessageDigest.isEqual(tokenDigest.get(), digest(presented.get()))) {
            throw Refusal.unauthorized("the admin token is required (Authorization: Bearer TOKEN)");
        }
    }

    /** The token of an {@code Authorization: Bearer TOKEN} header (shared with {@link HostReports}). */
    static Optional<String> bearer(String authorization) {
        int space = authorization.indexOf(' ');
        if (space <= 0 || !authorization.substring(0, space).toLowerCase(Locale.ROOT).equals("bearer")) {
            return Optional.empty();
        }
        return Optional.of(authorization.substring(space + 1).strip());
    }

    /** What tokens are compared as (constant time, equal lengths). */
    static byte[] digest(String token) {
        return HashAlgorithm.SHA256.newDigest().digest(token.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String toString() {
        return "AdminAuth[" + (enabled() ? "token" : "disabled") + (publicRead ? ", public reads" : "") + "]";
    }
}
