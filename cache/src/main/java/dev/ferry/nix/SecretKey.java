package dev.ferry.nix;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.math.ec.rfc8032.Ed25519;

/**
 * An ed25519 signing key in Nix's format, {@code name:base64(64 bytes)}: the 32-byte seed followed by the public key,
 * as {@code nix-store --generate-binary-cache-key} writes it. {@link #toString()} never shows the key.
 */
public final class SecretKey {
    static final int SIZE = 64;

    private final String name;
    private final Ed25519PrivateKeyParameters key;
    private final PublicKey publicKey;

    private SecretKey(String name, Ed25519PrivateKeyParameters key) {
        this.name = name;
        this.key = key;
        this.publicKey = new PublicKey(name, key.generatePublicKey().getEncoded());
    }

    /** A new key from the system's strong random source. */
    public static SecretKey generate(String name) {
        KeyText.checkName(name, "key");
        return new SecretKey(name, new Ed25519PrivateKeyParameters(new SecureRandom()));
    }

    /** Parses a secret key file's text; the public half must match the seed. */
    public static SecretKey parse(String text) {
        KeyText parsed = KeyText.parse(text, "secret key", SIZE);
        byte[] bytes = parsed.bytes();
        SecretKey secretKey = new SecretKey(parsed.name(), new Ed25519PrivateKeyParameters(bytes, 0));
        byte[] publicHalf = Arrays.copyOfRange(bytes, 32, 64);
        boolean matches = java.security.MessageDigest.isEqual(publicHalf, secretKey.publicKey.keyBytes());
        Arrays.fill(bytes, (byte) 0);
        if (!matches) {
            throw new NixFormatException("secret key '" + parsed.name() + "' is corrupt: its public half does not match its seed");
        }
        return secretKey;
    }

    public String name() {
        return name;
    }

    public PublicKey publicKey() {
        return publicKey;
    }

    /** {@code name:base64(signature)} of {@code message}, deterministic as ed25519 is. */
    public String sign(String message) {
        byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
        byte[] signature = new byte[Ed25519.SIGNATURE_SIZE];
        key.sign(Ed25519.Algorithm.Ed25519, null, bytes, 0, bytes.length, signature, 0);
        return KeyText.render(name, signature);
    }

    /** The text of the secret key file. Handle with care: this is the secret. */
    public String render() {
        byte[] bytes = new byte[SIZE];
        key.encode(bytes, 0);
        System.arraycopy(publicKey.keyBytes(), 0, bytes, 32, 32);
        String text = KeyText.render(name, bytes);
        Arrays.fill(bytes, (byte) 0);
        return text;
    }

    @Override
    public String toString() {
        return "SecretKey[" + name + ", public " + publicKey.render() + "]";
    }
}
