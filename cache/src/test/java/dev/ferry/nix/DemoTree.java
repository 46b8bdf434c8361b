package dev.ferry.nix;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/**
 * The tree whose NAR Nix wrote into {@code demo.nar} (see the README beside it): a file, an executable in a
 * subdirectory and a relative symlink.
 */
final class DemoTree {
    static final byte[] RUN = "#!/bin/sh\necho hi\n".getBytes(StandardCharsets.UTF_8);
    static final String NAR_HASH = "sha256:0m023b0xp3cfj1z2l4gy5g6k2zx6f02nb50ad53yb3nkha52hx7s";
    static final long NAR_SIZE = 888;

    /** What {@link RecordingVisitor} records for it. */
    static final List<String> EVENTS = List.of(
            "dir ",
            "file greeting 5 hello",
            "link link -> greeting",
            "dir sub",
            RecordingVisitor.file("sub/run", true, RUN));

    private DemoTree() {
    }

    /** The NAR as Nix wrote it. */
    static byte[] nar() {
        try (InputStream in = DemoTree.class.getResourceAsStream("demo.nar")) {
            if (in == null) {
                throw new IllegalStateException("demo.nar is missing from the test resources");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The same NAR spelled out with {@link NarBytes}. */
    static NarBytes narBytes() {
        return NarBytes.nar().directory()
                .entry("greeting").file("hello").close()
                .entry("link").symlink("greeting").close()
                .entry("sub").directory()
                .entry("run").file(RUN, true).close()
                .close().close()
                .close();
    }

    static void create(Path root) throws IOException {
        Files.createDirectories(root.resolve("sub"));
        Files.writeString(root.resolve("greeting"), "hello");
        Path run = root.resolve("sub/run");
        Files.write(run, RUN);
        Files.setPosixFilePermissions(run, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.createSymbolicLink(root.resolve("link"), Path.of("greeting"));
    }
}
