package dev.ferry.server;

import dev.ferry.nix.HashAlgorithm;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.Locale;
import java.util.Optional;

/**
 * Who may upload: whoever presents the token from {@code ferry.cache.upload-token-file}, as
 * {@code Authorization: Bearer TOKEN} or as the password of HTTP Basic auth (what Nix sends from a netrc file; the
 * user name is ignored). Tokens are compared as SHA-256 digests with {@link MessageDigest#isEqual}, so the time taken
 * says nothing about the token, not even its length. Without a token file uploads are disabled.
 */
final class UploadAuth {
    static final int MIN_TOKEN_LENGTH = 16;

    private final Optional<byte[]> tokenDigest;

    private UploadAuth(Optional<byte[]> tokenDigest) {
        this.tokenDigest = tokenDigest;
    }

    static UploadAuth disabled() {
        return new UploadAuth(Optional.empty());
    }

    static UploadAuth token(String token) {
        if (token.length() < MIN_TOKEN_LENGTH || token.chars().anyMatch(c -> c <= 0x20 || c >= 0x7f)) {
            throw new IllegalArgumentException("an upload token must be at least " + MIN_TOKEN_LENGTH
                    + " printable ASCII characters without spaces");
        }
        return new UploadAuth(Optional.of(digest(token)));
    }

    /** Reads the token file: its content with surrounding whitespace (a final newline) removed. */
    static UploadAuth fromFile(Path file) {
        String token;
        try {
            token = Files.readString(file, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw new InvalidConfigException(ServerConfig.UPLOAD_TOKEN_FILE, file + " cannot be read ("
                    + e.getClass().getSimpleName() + ")", e);
        }
        try {
            return token(token);
        } catch (IllegalArgumentException e) {
            throw new InvalidConfigException(ServerConfig.UPLOAD_TOKEN_FILE, file + ": " + e.getMessage());
        }
    }

    boolean enabled() {
        return tokenDigest.isPresent();
    }

    /** Refuses the request unless it carries the token. */
    void check(ServerRequest request) {
        check(request.headers().first(HeaderNames.AUTHORIZATION));
    }

    void check(Optional<String> authorization) {
        if (tokenDigest.isEmpty()) {
            throw Refusal.uploadsDisabled();
        }
        Optional<String> presented = authorization.flatMap(UploadAuth::presentedToken);
        if (presented.isEmpty() || !MessageDigest.isEqual(tokenDigest.get(), digest(presented.get()))) {
            throw Refusal.unauthorized();
        }
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
                return Optional.of(credentials);
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

    private static byte[] digest(String token) {
        return HashAlgorithm.SHA256.newDigest().digest(token.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String toString() {
        return enabled() ? "UploadAuth[token]" : "UploadAuth[disabled]";
    }
}
