package dev.ferry.server;

import dev.ferry.nix.HashAlgorithm;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Locale;
import java.util.Optional;

/**
 * A secret token the server checks (the upload, admin and report tokens), kept only as its SHA-256 digest. A
 * presented token is compared digest to digest with {@link MessageDigest#isEqual}, so the time taken says nothing
 * about the token, not even its length.
 */
final class AccessToken {
    static final int MIN_LENGTH = 16;

    private final byte[] digest;

    private AccessToken(byte[] digest) {
        this.digest = digest;
    }

    /** {@code token}, refused unless it has at least {@value #MIN_LENGTH} printable ASCII characters, no spaces. */
    static AccessToken of(String token, String what) {
        if (token.length() < MIN_LENGTH || token.chars().anyMatch(c -> c <= 0x20 || c >= 0x7f)) {
            throw new IllegalArgumentException("a" + (what.matches("[aeiou].*") ? "n " : " ") + what
                    + " token must be at least " + MIN_LENGTH + " printable ASCII characters without spaces");
        }
        return new AccessToken(digest(token));
    }

    /** The token in {@code file} (setting {@code key}): its content without surrounding whitespace. */
    static AccessToken fromFile(Path file, String key, String what) {
        try {
            return of(read(file, key), what);
        } catch (IllegalArgumentException e) {
            throw new InvalidConfigException(key, file + ": " + e.getMessage());
        }
    }

    /** The content of {@code file} (setting {@code key}) without surrounding whitespace (a final newline). */
    static String read(Path file, String key) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw new InvalidConfigException(key, file + " cannot be read (" + e.getClass().getSimpleName() + ")", e);
        }
    }

    /** Whether {@code presented} is this token. */
    private boolean matches(Optional<String> presented) {
        return presented.isPresent() && MessageDigest.isEqual(digest, digest(presented.get()));
    }

    /**
     * Refuses ({@code 401}) unless {@code presented} is this token, saying whether a token came and was wrong or none
     * came: "the admin token is required (HOW)" or "the token presented is not the admin token".
     */
    void require(Optional<String> presented, String what, String how) {
        if (!matches(presented)) {
            throw Refusal.unauthorized(presented.isPresent() ? "the token presented is not the " + what + " token"
                    : "the " + what + " token is required (" + how + ")");
        }
    }

    /** The token of an {@code Authorization: Bearer TOKEN} header value. */
    static Optional<String> bearer(String authorization) {
        int space = authorization.indexOf(' ');
        if (space <= 0 || !authorization.substring(0, space).toLowerCase(Locale.ROOT).equals("bearer")) {
            return Optional.empty();
        }
        return Optional.of(authorization.substring(space + 1).strip());
    }

    private static byte[] digest(String token) {
        return HashAlgorithm.SHA256.newDigest().digest(token.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String toString() {
        return "AccessToken[sha256]";
    }
}
