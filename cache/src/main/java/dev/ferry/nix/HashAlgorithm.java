package dev.ferry.nix;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Optional;

/** The hash algorithms Nix knows, with their names in Nix's textual forms. */
public enum HashAlgorithm {
    MD5("md5", "MD5", 16),
    SHA1("sha1", "SHA-1", 20),
    SHA256("sha256", "SHA-256", 32),
    SHA512("sha512", "SHA-512", 64);

    private final String nixName;
    private final String jdkName;
    private final int size;

    HashAlgorithm(String nixName, String jdkName, int size) {
        this.nixName = nixName;
        this.jdkName = jdkName;
        this.size = size;
    }

    /** The name Nix uses: {@code sha256}. */
    public String nixName() {
        return nixName;
    }

    /** Digest length in bytes. */
    public int size() {
        return size;
    }

    public MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance(jdkName);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK lacks " + jdkName, e);
        }
    }

    public static Optional<HashAlgorithm> byNixName(String name) {
        for (HashAlgorithm algorithm : values()) {
            if (algorithm.nixName.equals(name)) {
                return Optional.of(algorithm);
            }
        }
        return Optional.empty();
    }
}
