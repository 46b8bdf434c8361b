package dev.ferry.nix;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;

/**
 * An output stream that compares everything written to it with a file, byte for byte, streaming (a 64 MiB NAR is
 * never held in memory). It never throws from {@code write}, so it can sit behind a process pump; it remembers the
 * first difference, and {@link #assertSame} reports it with the bytes around it.
 */
public final class SameBytes extends OutputStream {
    private static final int CONTEXT = 24;

    private final Path expectedFile;
    private final String description;
    private final InputStream expected;
    private final byte[] scratch = new byte[1 << 16];
    private long written;
    private long firstDifference = -1;
    private byte[] actualAtDifference = new byte[0];

    private SameBytes(Path expectedFile, String description) {
        this.expectedFile = expectedFile;
        this.description = description;
        try {
            this.expected = new BufferedInputStream(Files.newInputStream(expectedFile), 1 << 16);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A stream to compare with {@code expectedFile}; {@code description} names the expected side in messages. */
    public static SameBytes as(Path expectedFile, String description) {
        return new SameBytes(expectedFile, description);
    }

    @Override
    public void write(int b) {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] bytes, int offset, int length) {
        int done = 0;
        while (firstDifference < 0 && done < length) {
            int n = Math.min(length - done, scratch.length);
            int got;
            try {
                got = expected.readNBytes(scratch, 0, n);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            int mismatch = Arrays.mismatch(bytes, offset + done, offset + done + got, scratch, 0, got);
            if (mismatch < 0 && got < n) {
                mismatch = got; // the expected bytes ended here
            }
            if (mismatch >= 0) {
                firstDifference = written + done + mismatch;
                int from = offset + done + mismatch;
                actualAtDifference = Arrays.copyOfRange(bytes, from, Math.min(from + CONTEXT, offset + length));
            }
            done += n;
        }
        written += length;
    }

    /** Fails unless exactly the expected file's bytes were written. */
    public void assertSame(String actualDescription) {
        long expectedSize;
        try (expected) {
            if (firstDifference < 0 && expected.read() >= 0) {
                firstDifference = written; // the actual bytes ended early
            }
            expectedSize = Files.size(expectedFile);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (firstDifference >= 0) {
            throw new AssertionError(actualDescription + " differs from " + description + " at byte " + firstDifference
                    + " (" + written + " bytes written, " + expectedSize + " expected)\n  expected: "
                    + show(expectedAt(firstDifference)) + "\n  actual:   " + show(actualAtDifference));
        }
    }

    public long written() {
        return written;
    }

    private byte[] expectedAt(long position) {
        try (FileChannel channel = FileChannel.open(expectedFile)) {
            ByteBuffer buffer = ByteBuffer.allocate(CONTEXT);
            channel.read(buffer, position);
            return Arrays.copyOf(buffer.array(), buffer.position());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Bytes as hex and as printable ASCII, for a message. */
    static String show(byte[] bytes) {
        if (bytes.length == 0) {
            return "(end of stream)";
        }
        StringBuilder hex = new StringBuilder();
        StringBuilder text = new StringBuilder();
        for (byte b : bytes) {
            int c = b & 0xff;
            hex.append(String.format("%02x ", c));
            text.append(c >= 0x20 && c < 0x7f ? (char) c : '.');
        }
        return hex + " |" + text + "|";
    }

    /** SHA-256 and size of a file, as a {@link NarDigest} for comparing with what Ferry returns. */
    public static NarDigest digestOf(Path file) {
        MessageDigest digest = HashAlgorithm.SHA256.newDigest();
        long size = 0;
        byte[] buffer = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(file)) {
            int n;
            while ((n = in.read(buffer)) > 0) {
                digest.update(buffer, 0, n);
                size += n;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new NarDigest(Hash.sha256(digest.digest()), size);
    }
}
