package dev.ferry.nix;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A streaming NAR parser that validates everything: the magic, the order of tokens, zero padding, string lengths,
 * entry names (strictly ascending by bytes; not empty, {@code .}, {@code ..}, and without {@code /} or NUL), symlink
 * targets, a nesting limit, and that nothing follows the root node. Malformed input raises
 * {@link NixFormatException} naming the problem and its byte offset; a failing stream raises
 * {@link UncheckedIOException}.
 */
public final class NarReader {
    private static final int BUFFER_SIZE = 1 << 16;

    private final InputStream in;
    private final NarVisitor visitor;
    private final int maxDepth;
    private final byte[] buffer = new byte[BUFFER_SIZE];
    private int bufferPos;
    private int bufferLimit;
    private long offset;

    private NarReader(InputStream in, NarVisitor visitor, int maxDepth) {
        this.in = in;
        this.visitor = visitor;
        this.maxDepth = maxDepth;
    }

    /** Reads a whole NAR from {@code in}, calling {@code visitor} for each node. Returns the NAR's size in bytes. */
    public static long read(InputStream in, NarVisitor visitor) {
        return read(in, visitor, Nar.DEFAULT_MAX_DEPTH);
    }

    public static long read(InputStream in, NarVisitor visitor, int maxDepth) {
        NarReader reader = new NarReader(in, visitor, maxDepth);
        try {
            reader.archive();
        } catch (IOException e) {
            throw new UncheckedIOException("reading a NAR at byte " + reader.offset + ": " + e.getMessage(), e);
        }
        return reader.offset;
    }

    private void archive() throws IOException {
        long start = offset;
        byte[] magic = string(Nar.MAX_TOKEN_BYTES, "magic");
        if (!Arrays.equals(magic, Nar.ascii(Nar.MAGIC))) {
            throw error(start, "not a NAR: expected magic '" + Nar.MAGIC + "'");
        }
        node(new ArrayList<>(), 0);
        if (fill() > 0) {
            throw error(offset, "trailing data after the NAR's root node");
        }
    }

    private void node(ArrayList<String> path, int depth) throws IOException {
        expect("(");
        expect("type");
        long typeOffset = offset;
        String type = token("node type");
        switch (type) {
            case "regular" -> regular(path);
            case "symlink" -> symlink(path);
            case "directory" -> directory(path, depth);
            default -> throw error(typeOffset, "unknown node type '" + type + "'");
        }
    }

    private void regular(List<String> path) throws IOException {
        long at = offset;
        String next = token("'executable' or 'contents'");
        boolean executable = false;
        if (next.equals("executable")) {
            long markerAt = offset;
            if (string(Nar.MAX_TOKEN_BYTES, "executable marker").length != 0) {
                throw error(markerAt, "expected an empty string after 'executable'");
            }
            executable = true;
            at = offset;
            next = token("'contents'");
        }
        if (!next.equals("contents")) {
            throw error(at, "expected 'contents' in a regular file, found '" + next + "'");
        }
        long sizeAt = offset;
        long size = readLong();
        if (size < 0) {
            throw error(sizeAt, "file size is out of range");
        }
        ContentsStream contents = new ContentsStream(size);
        visitor.regularFile(List.copyOf(path), executable, size, contents);
        contents.skipRest();
        padding(size);
        expect(")");
    }

    private void symlink(List<String> path) throws IOException {
        expect("target");
        long at = offset;
        byte[] target = string(Nar.MAX_TARGET_BYTES, "symlink target");
        if (target.length == 0) {
            throw error(at, "empty symlink target");
        }
        if (indexOf(target, (byte) 0) >= 0) {
            throw error(at, "symlink target contains a NUL byte");
        }
        visitor.symlink(List.copyOf(path), utf8(target, at, "symlink target"));
        expect(")");
    }

    private void directory(ArrayList<String> path, int depth) throws IOException {
        if (depth >= maxDepth) {
            throw error(offset, "directories nested deeper than " + maxDepth);
        }
        visitor.directory(List.copyOf(path));
        byte[] previous = null;
        while (true) {
            long at = offset;
            String next = token("'entry' or ')'");
            if (next.equals(")")) {
                return;
            }
            if (!next.equals("entry")) {
                throw error(at, "expected 'entry' or ')' in a directory, found '" + next + "'");
            }
            expect("(");
            expect("name");
            long nameAt = offset;
            byte[] name = string(Nar.MAX_NAME_BYTES, "entry name");
            checkName(name, nameAt);
            if (previous != null && Arrays.compareUnsigned(previous, name) >= 0) {
                throw error(nameAt, Arrays.equals(previous, name)
                        ? "duplicate entry name '" + utf8(name, nameAt, "entry name") + "'"
                        : "entry '" + utf8(name, nameAt, "entry name") + "' is out of order (names must be sorted by bytes)");
            }
            previous = name;
            expect("node");
            path.add(utf8(name, nameAt, "entry name"));
            node(path, depth + 1);
            path.remove(path.size() - 1);
            expect(")");
        }
    }

    private void checkName(byte[] name, long at) {
        if (name.length == 0) {
            throw error(at, "empty entry name");
        }
        if (Arrays.equals(name, new byte[] {'.'}) || Arrays.equals(name, new byte[] {'.', '.'})) {
            throw error(at, "entry name '" + new String(name, StandardCharsets.US_ASCII) + "' is not allowed");
        }
        if (indexOf(name, (byte) '/') >= 0) {
            throw error(at, "entry name contains '/'");
        }
        if (indexOf(name, (byte) 0) >= 0) {
            throw error(at, "entry name contains a NUL byte");
        }
    }

    private void expect(String token) throws IOException {
        long at = offset;
        byte[] expected = Nar.ascii(token);
        byte[] actual = string(Nar.MAX_TOKEN_BYTES, "'" + token + "'");
        if (!Arrays.equals(expected, actual)) {
            throw error(at, "expected '" + token + "', found '" + printable(actual) + "'");
        }
    }

    private String token(String what) throws IOException {
        return printable(string(Nar.MAX_TOKEN_BYTES, what));
    }

    private byte[] string(int maxLength, String what) throws IOException {
        long at = offset;
        long length = readLong();
        if (length < 0 || length > maxLength) {
            throw error(at, what + ": string length " + Long.toUnsignedString(length) + " exceeds " + maxLength);
        }
        byte[] bytes = new byte[(int) length];
        readFully(bytes, 0, bytes.length, what);
        padding(length);
        return bytes;
    }

    private void padding(long length) throws IOException {
        int pad = Nar.padding(length);
        long at = offset;
        for (int i = 0; i < pad; i++) {
            if (readByte("padding") != 0) {
                throw error(at, "non-zero padding");
            }
        }
    }

    private long readLong() throws IOException {
        long value = 0;
        for (int i = 0; i < 8; i++) {
            value |= (long) readByte("8-byte length") << (8 * i);
        }
        return value;
    }

    private int readByte(String what) throws IOException {
        if (bufferPos == bufferLimit && fill() == 0) {
            throw error(offset, "truncated NAR: unexpected end while reading " + what);
        }
        offset++;
        return buffer[bufferPos++] & 0xff;
    }

    private void readFully(byte[] target, int off, int length, String what) throws IOException {
        while (length > 0) {
            if (bufferPos == bufferLimit && fill() == 0) {
                throw error(offset, "truncated NAR: unexpected end while reading " + what);
            }
            int n = Math.min(length, bufferLimit - bufferPos);
            System.arraycopy(buffer, bufferPos, target, off, n);
            bufferPos += n;
            offset += n;
            off += n;
            length -= n;
        }
    }

    /** Refills the buffer if it is empty; returns the bytes available (0 at end of stream). */
    private int fill() throws IOException {
        if (bufferPos < bufferLimit) {
            return bufferLimit - bufferPos;
        }
        bufferPos = 0;
        bufferLimit = 0;
        int n;
        do {
            n = in.read(buffer, 0, buffer.length);
        } while (n == 0);
        if (n > 0) {
            bufferLimit = n;
        }
        return bufferLimit;
    }

    /** The bytes of one regular file, read from the shared buffer without copying the file anywhere else. */
    private final class ContentsStream extends InputStream {
        private long left;

        ContentsStream(long size) {
            this.left = size;
        }

        @Override
        public int read() throws IOException {
            if (left == 0) {
                return -1;
            }
            left--;
            return readByte("file contents");
        }

        @Override
        public int read(byte[] target, int off, int length) throws IOException {
            if (length == 0) {
                return 0;
            }
            if (left == 0) {
                return -1;
            }
            if (bufferPos == bufferLimit && fill() == 0) {
                throw error(offset, "truncated NAR: file contents end " + left + " bytes early");
            }
            int n = (int) Math.min(Math.min(length, left), bufferLimit - bufferPos);
            System.arraycopy(buffer, bufferPos, target, off, n);
            bufferPos += n;
            offset += n;
            left -= n;
            return n;
        }

        @Override
        public int available() {
            return (int) Math.min(left, bufferLimit - bufferPos);
        }

        void skipRest() throws IOException {
            while (left > 0) {
                if (bufferPos == bufferLimit && fill() == 0) {
                    throw error(offset, "truncated NAR: file contents end " + left + " bytes early");
                }
                int n = (int) Math.min(left, bufferLimit - bufferPos);
                bufferPos += n;
                offset += n;
                left -= n;
            }
        }
    }

    private static String utf8(byte[] bytes, long at, String what) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw error(at, what + " is not valid UTF-8");
        }
    }

    private static String printable(byte[] bytes) {
        StringBuilder sb = new StringBuilder();
        for (byte b : bytes) {
            int c = b & 0xff;
            sb.append(c >= 0x20 && c < 0x7f ? String.valueOf((char) c) : String.format("\\x%02x", c));
        }
        return sb.toString();
    }

    private static int indexOf(byte[] bytes, byte value) {
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == value) {
                return i;
            }
        }
        return -1;
    }

    private static NixFormatException error(long at, String message) {
        return new NixFormatException("malformed NAR at byte " + at + ": " + message);
    }
}
