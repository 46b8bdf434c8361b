package dev.ferry.nix;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Writes NAR tokens freely, valid or not, so tests can craft exactly the archive they need. Every string is an
 * 8-byte little-endian length, the bytes, and zero padding to a multiple of 8, as in the NAR format; nothing else is
 * checked. {@link #size()} before a write is the byte offset the reader reports for a problem in that write.
 */
final class NarBytes {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    /** A NAR that starts with the magic. */
    static NarBytes nar() {
        return new NarBytes().str("nix-archive-1");
    }

    /** Nothing written yet (for a wrong magic). */
    static NarBytes empty() {
        return new NarBytes();
    }

    NarBytes u64(long value) {
        for (int i = 0; i < 8; i++) {
            out.write((int) (value >>> (8 * i)));
        }
        return this;
    }

    NarBytes raw(byte[] bytes) {
        out.writeBytes(bytes);
        return this;
    }

    NarBytes raw(int... bytes) {
        for (int b : bytes) {
            out.write(b);
        }
        return this;
    }

    NarBytes str(byte[] bytes) {
        u64(bytes.length);
        out.writeBytes(bytes);
        out.writeBytes(new byte[Nar.padding(bytes.length)]);
        return this;
    }

    NarBytes str(String s) {
        return str(s.getBytes(StandardCharsets.UTF_8));
    }

    NarBytes tokens(String... strings) {
        for (String s : strings) {
            str(s);
        }
        return this;
    }

    /** A whole regular-file node. */
    NarBytes file(String contents) {
        return file(contents.getBytes(StandardCharsets.UTF_8), false);
    }

    NarBytes file(byte[] contents, boolean executable) {
        tokens("(", "type", "regular");
        if (executable) {
            tokens("executable", "");
        }
        return tokens("contents").str(contents).tokens(")");
    }

    /** A whole symlink node. */
    NarBytes symlink(String target) {
        return tokens("(", "type", "symlink", "target", target, ")");
    }

    /** Opens a directory node; close it with {@link #close()}. */
    NarBytes directory() {
        return tokens("(", "type", "directory");
    }

    /** Opens an entry up to its node; write the node, then {@link #close()} the entry. */
    NarBytes entry(String name) {
        return entry(name.getBytes(StandardCharsets.UTF_8));
    }

    NarBytes entry(byte[] name) {
        return tokens("entry", "(", "name").str(name).tokens("node");
    }

    NarBytes close() {
        return tokens(")");
    }

    int size() {
        return out.size();
    }

    byte[] bytes() {
        return out.toByteArray();
    }
}
