package dev.ferry.nix;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Unpacks a NAR into a destination that must not exist yet, as {@code nix-store --restore} does, but safely: the tree
 * is built inside a private temporary directory next to the destination and moved into place only once the whole NAR
 * has been read and validated. Nothing is created through a symlink (every file is created with {@code O_EXCL} and
 * {@code O_NOFOLLOW}, every directory with {@code mkdir}), entry names cannot leave their directory (the reader
 * rejects {@code /}, {@code .} and {@code ..}), and on any failure the temporary tree is deleted, so nothing is left
 * behind.
 */
public final class NarUnpacker {
    private static final Set<PosixFilePermission> EXECUTE = EnumSet.of(PosixFilePermission.OWNER_EXECUTE,
            PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.OTHERS_EXECUTE);

    private NarUnpacker() {
    }

    /**
     * Unpacks the NAR read from {@code in} to {@code destination}.
     *
     * @throws NixFormatException if the NAR is malformed, or holds a symlink target with repeated or trailing slashes,
     *         which the JDK cannot create as it is (nothing is left behind)
     * @throws UncheckedIOException if the destination exists, its parent is missing, or writing fails
     */
    public static void unpack(InputStream in, Path destination) {
        Path target = destination.toAbsolutePath().normalize();
        Path parent = target.getParent();
        if (parent == null) {
            throw new IllegalArgumentException("cannot unpack to the file system root");
        }
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            throw new UncheckedIOException(new FileAlreadyExistsException(target.toString(), null,
                    "the unpack destination must not exist yet"));
        }
        Path staging;
        try {
            staging = Files.createTempDirectory(parent, "." + target.getFileName() + ".unpack-",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a staging directory in " + parent + ": " + e.getMessage(), e);
        }
        Path root = staging.resolve("root");
        try {
            NarReader.read(in, new Writer(root));
            Files.move(root, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("unpacking to " + target + ": " + e.getMessage(), e);
        } finally {
            deleteTree(staging);
        }
    }

    private record Writer(Path root) implements NarVisitor {
        @Override
        public void directory(List<String> path) {
            try {
                Files.createDirectory(resolve(path));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public void regularFile(List<String> path, boolean executable, long size, InputStream contents) {
            Path file = resolve(path);
            try (OutputStream out = Files.newOutputStream(file, StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
                contents.transferTo(out);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            if (executable) {
                try {
                    Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS);
                    permissions.addAll(EXECUTE);
                    Files.setPosixFilePermissions(file, permissions);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        }

        @Override
        public void symlink(List<String> path, String target) {
            Path targetPath = Path.of(target);
            if (!targetPath.toString().equals(target)) {
                // Path.of drops repeated and trailing slashes; the link would differ from the NAR (and its hash).
                throw new NixFormatException("cannot unpack symlink '" + String.join("/", path) + "' -> '"
                        + Hash.abbreviate(target) + "' exactly: the JDK drops repeated and trailing slashes");
            }
            try {
                Files.createSymbolicLink(resolve(path), targetPath);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private Path resolve(List<String> path) {
            Path p = root;
            for (String name : path) {
                p = p.resolve(name);
            }
            if (!p.startsWith(root)) {
                throw new NixFormatException("NAR entry " + String.join("/", path) + " would leave the destination");
            }
            return p;
        }
    }

    /** Best effort: the caller already reports the real failure. */
    private static void deleteTree(Path top) {
        try {
            FileTrees.delete(top);
        } catch (IOException e) {
            // left behind: a dot-named staging directory, which nothing reads
        }
    }
}
