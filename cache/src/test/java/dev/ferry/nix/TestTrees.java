package dev.ferry.nix;

import dev.ferry.process.Command;
import dev.ferry.process.ProcessRunner;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.SplittableRandom;

/**
 * File system trees generated for comparing Ferry's NARs with Nix's: everything a NAR can hold, and the corners
 * where a serialiser can go wrong. Generated in the caller's directory on each run; contents are pseudo-random but
 * seeded, so a tree is the same on every run (and {@code nix-store --add} of it gives the same store path).
 */
public final class TestTrees {
    /** At least 64 MiB, and not a multiple of 8, so the padding after a large file is exercised too. */
    public static final long LARGE_FILE_SIZE = 64L * 1024 * 1024 + 5;

    /** Entry names whose byte order differs from locale, UTF-16 or normalisation order, plus odd but legal ones. */
    public static final List<String> ODD_NAMES = List.of(
            "B", "a", "ä", "a.b", "a-b", "Z", "_x", "~",
            "\uFF21",        // FULLWIDTH A: sorts after the emoji in UTF-16 (U+FF21 > U+D83D) but before it in UTF-8
            "\uD83D\uDE00",  // U+1F600, four bytes in UTF-8
            "\uFFFD",        // a genuine U+FFFD, not a decoding accident
            "\u00E9", "e\u0301", // é precomposed and decomposed: two different names
            "sp ace", "tab\tname", "new\nline", "back\\slash", "quote\"d", "-dash", ".hidden", "...", "..x",
            "ä".repeat(127) + "x"); // 255 bytes, NAME_MAX

    private TestTrees() {
    }

    /** The roots the interop tests serialise, each a separate case. */
    public enum Root {
        /** Every feature below in one directory, plus a {@value #LARGE_FILE_SIZE}-byte file. */
        FULL_TREE("ferry-it-full-tree", dir -> {
            richTree(dir);
            largeFile(dir.resolve("large"));
        }),
        /** Symlink targets that {@link Path} would rewrite ({@code sub/}, {@code a//b}): made with {@code ln -s}. */
        SYMLINK_SPELLINGS("spellings", TestTrees::symlinkSpellings),
        FILE_ROOT("file", dir -> writeFile(dir, pattern(13, 1), "rw-r--r--")),
        EXECUTABLE_FILE_ROOT("executable", dir -> writeFile(dir, pattern(100, 2), "rwxr-xr-x")),
        EMPTY_FILE_ROOT("empty-file", dir -> writeFile(dir, new byte[0], "rw-r--r--")),
        EMPTY_DIRECTORY_ROOT("empty-dir", TestTrees::directory),
        SYMLINK_ROOT("symlink", dir -> symlink(dir, "target-of-the-root")),
        ABSOLUTE_SYMLINK_ROOT("absolute-symlink", dir -> symlink(dir, "/etc/passwd")),
        DIRECTORY_SYMLINK_ROOT("directory-symlink", dir -> symlink(dir, ".")),
        DANGLING_SYMLINK_ROOT("dangling-symlink", dir -> symlink(dir, "does/not/exist"));

        private final String fileName;
        private final Builder builder;

        Root(String fileName, Builder builder) {
            this.fileName = fileName;
            this.builder = builder;
        }

        /** Creates this root in {@code parent} and returns it. */
        public Path create(Path parent) {
            Path root = parent.resolve(fileName);
            try {
                builder.build(root);
            } catch (IOException e) {
                throw new UncheckedIOException("generating " + root + ": " + e.getMessage(), e);
            }
            return root;
        }
    }

    private interface Builder {
        void build(Path root) throws IOException;
    }

    /**
     * A tree of a few MiB with: regular files of every size 0..16 (every padding remainder, twice), files around
     * the 64 KiB and 1 MiB buffer sizes, executables and files whose only execute bit is the group's or others',
     * read-only files and directories, a hard link, symlinks (relative, absolute, dangling, to a directory, to
     * itself, with non-ASCII targets, with targets of length 1..9 and 4095), empty and deeply nested directories,
     * {@link #ODD_NAMES}, names of length 1..9, and a directory of 300 entries.
     */
    public static Path richTree(Path root) throws IOException {
        directory(root);

        Path files = directory(root.resolve("files"));
        for (int size = 0; size <= 16; size++) {
            writeFile(files.resolve("size-" + size), pattern(size, size), "rw-r--r--");
        }
        for (int size : new int[] {(1 << 16) - 1, 1 << 16, (1 << 16) + 1, (1 << 20) - 1, 1 << 20, (1 << 20) + 1}) {
            writeFile(files.resolve("buffer-" + size), pattern(size, size), "rw-r--r--");
        }
        writeFile(files.resolve("executable"), "#!/bin/sh\necho hi\n".getBytes(StandardCharsets.UTF_8), "rwxr-xr-x");
        writeFile(files.resolve("executable-empty"), new byte[0], "rwxr-xr-x");
        writeFile(files.resolve("executable-owner-only"), pattern(7, 3), "rwxr--r--");
        writeFile(files.resolve("executable-read-only"), pattern(9, 4), "r-xr-xr-x");
        writeFile(files.resolve("group-execute-only"), pattern(10, 5), "rw-r-xr--");
        writeFile(files.resolve("other-execute-only"), pattern(11, 6), "rw-r--r-x");
        writeFile(files.resolve("read-only"), pattern(12, 7), "r--r--r--");
        Files.createLink(files.resolve("hard-link-to-size-9"), files.resolve("size-9"));

        Path links = directory(root.resolve("links"));
        symlink(links.resolve("relative"), "../files/size-3");
        symlink(links.resolve("absolute"), "/etc/passwd");
        symlink(links.resolve("dangling"), "no/such/file");
        symlink(links.resolve("to-directory"), "../dirs");
        symlink(links.resolve("to-dot"), ".");
        symlink(links.resolve("to-dot-dot"), "..");
        symlink(links.resolve("to-symlink"), "relative");
        symlink(links.resolve("to-itself"), "to-itself");
        symlink(links.resolve("non-ascii"), "ä/\uD83D\uDE00/\uFF21");
        symlink(links.resolve("replacement-character"), "\uFFFD/x");
        symlink(links.resolve("long-target"), "t/".repeat(2047) + "x"); // 4095 bytes, PATH_MAX - 1
        for (int length = 1; length <= 9; length++) {
            symlink(links.resolve("target-length-" + length), "t".repeat(length));
        }

        Path dirs = directory(root.resolve("dirs"));
        directory(dirs.resolve("empty"));
        directory(directory(dirs.resolve("holds-an-empty-directory")).resolve("empty"));
        Path nested = dirs.resolve("nested");
        for (int depth = 0; depth < 30; depth++) {
            nested = nested.resolve("d" + depth);
        }
        Files.createDirectories(nested);
        writeFile(nested.resolve("bottom"), pattern(5, 8), "rw-r--r--");
        Path readOnly = directory(dirs.resolve("read-only"));
        writeFile(readOnly.resolve("inside"), pattern(6, 9), "rw-r--r--");
        Files.setPosixFilePermissions(readOnly, PosixFilePermissions.fromString("r-xr-xr-x"));

        Path names = directory(root.resolve("names"));
        for (String name : ODD_NAMES) {
            writeFile(names.resolve(name), name.getBytes(StandardCharsets.UTF_8), "rw-r--r--");
        }
        directory(names.resolve("ä-directory"));
        symlink(names.resolve("ä-symlink"), "ä");
        for (int length = 1; length <= 9; length++) {
            writeFile(names.resolve("n".repeat(length)), new byte[] {(byte) length}, "rw-r--r--");
        }

        Path many = directory(root.resolve("many"));
        for (int i = 0; i < 300; i++) {
            // Creation order, hash order and byte order all differ.
            String name = Integer.toString((i * 7919) % 1009, 36) + (i % 3 == 0 ? "-ä" : i % 3 == 1 ? ".b" : "");
            writeFile(many.resolve(name), pattern(i % 17, i), "rw-r--r--");
        }
        return root;
    }

    /** {@code dir/blob} of {@link #LARGE_FILE_SIZE} bytes, written in 1 MiB chunks, plus a small file after it. */
    public static Path largeFile(Path dir) throws IOException {
        directory(dir);
        SplittableRandom random = new SplittableRandom(64);
        byte[] chunk = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(dir.resolve("blob"))) {
            long left = LARGE_FILE_SIZE;
            while (left > 0) {
                random.nextBytes(chunk); // every chunk differs: a writer repeating a buffer would be caught
                int n = (int) Math.min(left, chunk.length);
                out.write(chunk, 0, n);
                left -= n;
            }
        }
        writeFile(dir.resolve("z-after-blob"), pattern(3, 10), "rwxr-xr-x");
        return dir;
    }

    private static void symlinkSpellings(Path root) throws IOException {
        directory(root);
        directory(root.resolve("sub"));
        List<String[]> links = List.of(
                new String[] {"trailing-slash", "sub/"},
                new String[] {"double-slash", "sub//x"},
                new String[] {"dot-segments", "./sub/../sub/./x"},
                new String[] {"absolute-double-slash", "//etc//passwd"},
                new String[] {"absolute-trailing-slash", "/etc/"});
        ProcessRunner runner = ProcessRunner.local();
        for (String[] link : links) {
            // Path.of("sub/") is "sub": only ln(1) creates these targets as spelled.
            runner.run(Command.of("ln", "-s", "--", link[1], root.resolve(link[0]).toString()));
        }
    }

    /** {@code size} seeded pseudo-random bytes. */
    public static byte[] pattern(int size, long seed) {
        byte[] bytes = new byte[size];
        new SplittableRandom(seed).nextBytes(bytes);
        return bytes;
    }

    private static Path directory(Path dir) throws IOException {
        return Files.createDirectory(dir);
    }

    private static void writeFile(Path file, byte[] contents, String mode) throws IOException {
        Files.write(file, contents);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));
    }

    private static void symlink(Path link, String target) throws IOException {
        Files.createSymbolicLink(link, Path.of(target));
    }
}
