package dev.ferry.nix;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;

/**
 * Records what {@link NarReader} reports, one line per node, draining every file through a small buffer (never all
 * at once, so a huge declared size cannot make a test allocate it):
 * {@code dir a/b}, {@code file a/c [exec] <size> <contents>}, {@code link a/d -> target}. Contents of up to 64 bytes
 * appear as text (ISO-8859-1), longer ones as their sha256. A file whose stream yields a different number of bytes
 * than announced fails the test.
 */
final class RecordingVisitor implements NarVisitor {
    private final List<String> events = new ArrayList<>();

    List<String> events() {
        return events;
    }

    static List<String> read(byte[] nar) {
        RecordingVisitor visitor = new RecordingVisitor();
        NarReader.read(new java.io.ByteArrayInputStream(nar), visitor);
        return visitor.events();
    }

    @Override
    public void directory(List<String> path) {
        events.add("dir " + String.join("/", path));
    }

    @Override
    public void regularFile(List<String> path, boolean executable, long size, InputStream contents) {
        events.add("file " + String.join("/", path) + (executable ? " exec " : " ") + size + " "
                + drain(contents, size));
    }

    @Override
    public void symlink(List<String> path, String target) {
        events.add("link " + String.join("/", path) + " -> " + target);
    }

    /** Line for a file, as {@link #regularFile} records it. */
    static String file(String path, boolean executable, byte[] contents) {
        return "file " + path + (executable ? " exec " : " ") + contents.length + " " + describe(contents);
    }

    private static String drain(InputStream contents, long size) {
        MessageDigest sha = HashAlgorithm.SHA256.newDigest();
        java.io.ByteArrayOutputStream small = new java.io.ByteArrayOutputStream();
        byte[] buffer = new byte[4096];
        long total = 0;
        try {
            int n;
            while ((n = contents.read(buffer, 0, buffer.length)) >= 0) {
                total += n;
                sha.update(buffer, 0, n);
                if (total <= 64) {
                    small.write(buffer, 0, n);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (total != size) {
            throw new AssertionError("contents stream gave " + total + " bytes for a file of " + size);
        }
        return total <= 64 ? new String(small.toByteArray(), StandardCharsets.ISO_8859_1)
                : "sha256:" + Nix32.encode(sha.digest());
    }

    private static String describe(byte[] contents) {
        return contents.length <= 64 ? new String(contents, StandardCharsets.ISO_8859_1)
                : "sha256:" + Nix32.encode(HashAlgorithm.SHA256.newDigest().digest(contents));
    }
}
