package dev.ferry.nix;

import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;

/**
 * A hash as Nix writes it. Parsing accepts the forms Nix prints: {@code sha256:<nix32>}, {@code sha256:<base16>},
 * {@code sha256:<base64>} and SRI {@code sha256-<base64>}; {@link #toString()} gives {@code sha256:<nix32>}, the form
 * narinfo files and signature fingerprints use.
 */
public record Hash(HashAlgorithm algorithm, byte[] bytes) {
    private static final HexFormat HEX = HexFormat.of();

    public Hash {
        if (bytes.length != algorithm.size()) {
            throw new NixFormatException(algorithm.nixName() + " hash of " + bytes.length + " bytes, expected "
                    + algorithm.size());
        }
        bytes = bytes.clone();
    }

    public static Hash sha256(byte[] digest) {
        return new Hash(HashAlgorithm.SHA256, digest);
    }

    @Override
    public byte[] bytes() {
        return bytes.clone();
    }

    /**
     * Parses a hash that names its algorithm, as {@code sha256:...} (nix32, base16 or base64 by length) or SRI
     * {@code sha256-<base64>}.
     */
    public static Hash parse(String text) {
        int colon = text.indexOf(':');
        int dash = text.indexOf('-');
        if (colon > 0 && (dash < 0 || colon < dash)) {
            return parseBody(algorithm(text.substring(0, colon), text), text.substring(colon + 1), text, false);
        }
        if (dash > 0) {
            return parseBody(algorithm(text.substring(0, dash), text), text.substring(dash + 1), text, true);
        }
        throw new NixFormatException("hash '" + abbreviate(text) + "' does not name its algorithm (expected sha256:...)");
    }

    /** Parses the body of a hash of a known algorithm: nix32, base16 or base64 by length. */
    public static Hash parse(HashAlgorithm algorithm, String body) {
        return parseBody(algorithm, body, body, false);
    }

    private static HashAlgorithm algorithm(String name, String whole) {
        return HashAlgorithm.byNixName(name).orElseThrow(() ->
                new NixFormatException("unknown hash algorithm '" + abbreviate(name) + "' in '" + abbreviate(whole) + "'"));
    }

    private static Hash parseBody(HashAlgorithm algorithm, String body, String whole, boolean sri) {
        int size = algorithm.size();
        byte[] bytes;
        if (!sri && body.length() == size * 2) {
            if (!body.chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
                throw new NixFormatException("invalid base16 hash '" + abbreviate(whole) + "'");
            }
            bytes = HEX.parseHex(body);
        } else if (!sri && body.length() == Nix32.encodedLength(size)) {
            try {
                bytes = Nix32.decode(body, size);
            } catch (NixFormatException e) {
                throw new NixFormatException("invalid nix32 hash '" + abbreviate(whole) + "': " + e.getMessage(), e);
            }
        } else if (body.length() == ((size + 2) / 3) * 4) {
            try {
                bytes = Base64.getDecoder().decode(body);
            } catch (IllegalArgumentException e) {
                throw new NixFormatException("invalid base64 hash '" + abbreviate(whole) + "'", e);
            }
            if (bytes.length != size) {
                throw new NixFormatException("invalid base64 hash '" + abbreviate(whole) + "': wrong length");
            }
        } else {
            throw new NixFormatException("hash '" + abbreviate(whole) + "' has the wrong length for "
                    + algorithm.nixName());
        }
        return new Hash(algorithm, bytes);
    }

    /** {@code sha256:<nix32>}. */
    public String toNix32() {
        return algorithm.nixName() + ":" + Nix32.encode(bytes);
    }

    /** {@code sha256:<base16>}. */
    public String toBase16() {
        return algorithm.nixName() + ":" + HEX.formatHex(bytes);
    }

    /** {@code sha256-<base64>}. */
    public String toSri() {
        return algorithm.nixName() + "-" + Base64.getEncoder().encodeToString(bytes);
    }

    /** The nix32 digits without the algorithm, as in NAR file names. */
    public String nix32Digits() {
        return Nix32.encode(bytes);
    }

    @Override
    public String toString() {
        return toNix32();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Hash h && h.algorithm == algorithm && Arrays.equals(h.bytes, bytes);
    }

    @Override
    public int hashCode() {
        return algorithm.hashCode() * 31 + Arrays.hashCode(bytes);
    }

    static String abbreviate(String text) {
        StringBuilder sb = new StringBuilder();
        int limit = Math.min(text.length(), 120);
        for (int i = 0; i < limit; i++) {
            sb.append(Nix32.printable(text.charAt(i)));
        }
        if (text.length() > limit) {
            sb.append("...");
        }
        return sb.toString();
    }
}
