package dev.ferry.webhook;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * HMAC-SHA256 signatures of webhook bodies, as Forgejo, Gitea ({@code hex}) and GitHub ({@code sha256=hex}) send
 * them. The comparison is {@link MessageDigest#isEqual} on the raw digests, so its time says nothing about how much
 * of a guess was right.
 */
public final class Signatures {
    private static final int DIGEST_HEX_LENGTH = 64;

    private Signatures() {
    }

    /** The lower-case hex HMAC-SHA256 of {@code body} under {@code secret}: what a forge sends (without a prefix). */
    public static String sign(byte[] secret, byte[] body) {
        return HexFormat.of().formatHex(hmac(secret, body));
    }

    /**
     * Which of {@code secrets} signed {@code body} (its index), checking every secret so the time does not depend on
     * which one matched. Fails as {@link WebhookException.Kind#UNAUTHORIZED} when the signature header is missing or
     * malformed, or no secret matches.
     */
    public static int verify(Delivery delivery, byte[] body, List<byte[]> secrets) {
        String header = delivery.signature().orElseThrow(() -> new WebhookException(
                WebhookException.Kind.UNAUTHORIZED, "missing signature: " + delivery.forge().signatureHeader()
                + " is not set (give the webhook a secret)"));
        byte[] presented = decode(delivery.forge(), header).orElseThrow(() -> new WebhookException(
                WebhookException.Kind.UNAUTHORIZED, "malformed signature in " + delivery.forge().signatureHeader()
                + ": expected " + (delivery.forge().signaturePrefix().isEmpty() ? ""
                        : delivery.forge().signaturePrefix() + " and ") + "64 hex digits"));
        int matched = -1;
        for (int i = 0; i < secrets.size(); i++) {
            if (MessageDigest.isEqual(hmac(secrets.get(i), body), presented) && matched < 0) {
                matched = i;
            }
        }
        if (matched < 0) {
            throw new WebhookException(WebhookException.Kind.UNAUTHORIZED,
                    "signature does not match the body under the configured secret");
        }
        return matched;
    }

    static Optional<byte[]> decode(Forge forge, String header) {
        String prefix = forge.signaturePrefix();
        if (!header.regionMatches(true, 0, prefix, 0, prefix.length())) {
            return Optional.empty();
        }
        String hex = header.substring(prefix.length());
        if (hex.length() != DIGEST_HEX_LENGTH) {
            return Optional.empty();
        }
        try {
            return Optional.of(HexFormat.of().parseHex(hex));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private static byte[] hmac(byte[] secret, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            // An empty key is not allowed by SecretKeySpec; secrets are checked non-empty where they are read.
            mac.init(new SecretKeySpec(secret.length == 0 ? new byte[1] : secret, "HmacSHA256"));
            return mac.doFinal(body);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }
}
