package dev.ferry.nix;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.math.ec.rfc8032.Ed25519;

/** An ed25519 public key in Nix's format, {@code name:base64(32 bytes)}, as in {@code trusted-public-keys}. */
public final class PublicKey {
    static final int SIZE = 32;

    private final String name;
    private final byte[] key;

    PublicKey(String name, byte[] key) {
        this.name = name;
        this.key = key.clone();
    }

    public static PublicKey parse(String text) {
        KeyText parsed = KeyText.parse(text, "public key", SIZE);
        try {
            new Ed25519PublicKeyParameters(parsed.bytes(), 0);
        } catch (IllegalArgumentException e) {
            throw new NixFormatException("public key '" + parsed.name() + "' is not an ed25519 point");
        }
        return new PublicKey(parsed.name(), parsed.bytes());
    }

    public String name() {
        return name;
    }

    /**
     * Whether {@code signature} ({@code keyname:base64}) is this key's valid signature of {@code message}. A signature
     * by another key name, or one that is not valid base64 of 64 bytes, is simply not valid.
     */
    public boolean verify(String message, String signature) {
        int colon = signature.indexOf(':');
        if (colon <= 0 || !signature.substring(0, colon).equals(name)) {
            return false;
        }
        byte[] sig;
        try {
            sig = Base64.getDecoder().decode(signature.substring(colon + 1));
        } catch (IllegalArgumentException e) {
            return false;
        }
        if (sig.length != Ed25519.SIGNATURE_SIZE) {
            return false;
        }
        byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
        return Ed25519.verify(sig, 0, key, 0, bytes, 0, bytes.length);
    }

    byte[] keyBytes() {
        return key.clone();
    }

    /** {@code name:base64}, the text of a public key file (without a newline, as Nix writes it). */
    public String render() {
        return KeyText.render(name, key);
    }

    @Override
    public String toString() {
        return render();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof PublicKey p && p.name.equals(name) && Arrays.equals(p.key, key);
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(key);
    }
}
