package dev.ferry.nix;

import java.nio.charset.StandardCharsets;

/** Constants of the NAR format shared by the writer and the reader. */
final class Nar {
    static final String MAGIC = "nix-archive-1";
    /** Linux NAME_MAX: longer entry names cannot be unpacked. */
    static final int MAX_NAME_BYTES = 255;
    /** Linux PATH_MAX: longer symlink targets cannot be created. */
    static final int MAX_TARGET_BYTES = 4095;
    /** Longest string token the format has besides names and targets ({@code nix-archive-1}, {@code executable}). */
    static final int MAX_TOKEN_BYTES = 64;
    /** Default limit on directory nesting for the reader. */
    static final int DEFAULT_MAX_DEPTH = 512;

    private Nar() {
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    static int padding(long length) {
        return (int) ((8 - (length & 7)) & 7);
    }
}
