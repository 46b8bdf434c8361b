package dev.ferry.nix;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Serialises a file system tree to its canonical NAR, as {@code nix-store --dump} does, hashing it on the way with
 * SHA-256. Files are streamed through one buffer, never held in memory. Only what a NAR can represent is accepted:
 * regular files (with the owner's executable bit), symlinks and directories; entries are written in byte order of
 * their names.
 *
 * <p>File names are taken as the JVM decodes them, so the JVM must run with a UTF-8 locale ({@code LC_ALL=C.UTF-8});
 * the writer refuses to run otherwise rather than write wrong names.
 */
public final class NarWriter {
    private static final int BUFFER_SIZE = 1 << 20;
    private static final byte[] ZEROS = new byte[8];

    private final OutputStream out;
    private final MessageDigest digest = HashAlgorithm.SHA256.newDigest();
    private final ByteBuffer buffer = ByteBuffer.allocate(BUFFER_SIZE);
    private long size;

    private NarWriter(OutputStream out) {
        this.out = out;
    }

    /** Writes the NAR of {@code root} to {@code out} and returns its hash and size. Does not close {@code out}. */
    public static NarDigest write(Path root, OutputStream out) {
        return new NarWriter(out).run(root);
    }

    /** The NAR hash and size of {@code root}, as {@code nix hash path} computes it, without writing anything. */
    public static NarDigest hash(Path root) {
        return new NarWriter(OutputStream.nullOutputStream()).run(root);
    }

    private NarDigest run(Path root) {
        checkFileNameEncoding();
        try {
            string(Nar.MAGIC);
            node(root);
            flush();
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("writing the NAR of " + root + ": " + e.getMessage(), e);
        }
        return new NarDigest(Hash.sha256(digest.digest()), size);
    }

    private void node(Path path) throws IOException {
        PosixFileAttributes attributes = Files.readAttributes(path, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        string("(");
        string("type");
        if (attributes.isRegularFile()) {
            string("regular");
            if (attributes.permissions().contains(PosixFilePermission.OWNER_EXECUTE)) {
                string("executable");
                string("");
            }
            string("contents");
            contents(path, attributes.size());
        } else if (attributes.isSymbolicLink()) {
            string("symlink");
            string("target");
            Path target = Files.readSymbolicLink(path);
            String text = target.toString();
            if (!decodedExactly(target, text)) {
                throw new NixFormatException("cannot put " + path + " in a NAR: its target is not valid UTF-8");
            }
            string(text.getBytes(StandardCharsets.UTF_8));
        } else if (attributes.isDirectory()) {
            string("directory");
            for (Entry entry : sortedEntries(path)) {
                string("entry");
                string("(");
                string("name");
                string(entry.name());
                string("node");
                node(entry.path());
                string(")");
            }
        } else {
            throw new NixFormatException("cannot put " + path + " in a NAR: it is a socket, FIFO or device file");
        }
        string(")");
    }

    private record Entry(byte[] name, Path path) {
    }

    private static List<Entry> sortedEntries(Path directory) throws IOException {
        List<Entry> entries = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(directory)) {
            for (Path child : stream) {
                String name = child.getFileName().toString();
                if (!decodedExactly(child.getFileName(), name)) {
                    throw new NixFormatException("cannot put " + child + " in a NAR: its name is not valid UTF-8");
                }
                entries.add(new Entry(name.getBytes(StandardCharsets.UTF_8), child));
            }
        }
        entries.sort((a, b) -> Arrays.compareUnsigned(a.name(), b.name()));
        return entries;
    }

    /**
     * Whether the JVM decoded a file name or symlink target without loss. Bytes that are not UTF-8 decode to U+FFFD,
     * and the decoded text, encoded again, then names something else; a genuine U+FFFD survives the round trip.
     * {@code getPath} also drops doubled and trailing slashes, so a symlink target with both a U+FFFD and such
     * slashes is refused too: on the safe side, as it cannot be told apart here.
     */
    private static boolean decodedExactly(Path raw, String decoded) {
        return decoded.indexOf('\uFFFD') < 0 || raw.equals(raw.getFileSystem().getPath(decoded));
    }

    private void contents(Path path, long length) throws IOException {
        putLong(length);
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            long left = length;
            while (left > 0) {
                if (!buffer.hasRemaining()) {
                    flush();
                }
                int limit = buffer.limit();
                if (buffer.remaining() > left) {
                    buffer.limit(buffer.position() + (int) left);
                }
                int n = channel.read(buffer);
                buffer.limit(limit);
                if (n < 0) {
                    throw new IOException(path + " shrank while it was being read (expected " + length + " bytes)");
                }
                left -= n;
            }
        }
        put(ZEROS, 0, Nar.padding(length));
    }

    private void string(String s) throws IOException {
        string(Nar.ascii(s));
    }

    private void string(byte[] bytes) throws IOException {
        putLong(bytes.length);
        put(bytes, 0, bytes.length);
        put(ZEROS, 0, Nar.padding(bytes.length));
    }

    private void putLong(long value) throws IOException {
        if (buffer.remaining() < 8) {
            flush();
        }
        buffer.putLong(Long.reverseBytes(value));
    }

    private void put(byte[] bytes, int offset, int length) throws IOException {
        while (length > 0) {
            if (!buffer.hasRemaining()) {
                flush();
            }
            int n = Math.min(length, buffer.remaining());
            buffer.put(bytes, offset, n);
            offset += n;
            length -= n;
        }
    }

    private void flush() throws IOException {
        int n = buffer.position();
        if (n > 0) {
            digest.update(buffer.array(), 0, n);
            out.write(buffer.array(), 0, n);
            size += n;
            buffer.clear();
        }
    }

    private static void checkFileNameEncoding() {
        String encoding = System.getProperty("sun.jnu.encoding", "UTF-8");
        if (!encoding.equalsIgnoreCase("UTF-8") && !encoding.equalsIgnoreCase("UTF8")) {
            throw new IllegalStateException("the JVM decodes file names as " + encoding
                    + ", so NAR entry names could be wrong; run it with LC_ALL=C.UTF-8");
        }
    }
}
