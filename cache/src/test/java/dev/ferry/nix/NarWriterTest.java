package dev.ferry.nix;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NarWriterTest {
    @TempDir
    Path tmp;

    @Test
    void writesTheNarNixWrites() throws IOException {
        Path root = tmp.resolve("demo");
        DemoTree.create(root);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        NarDigest digest = NarWriter.write(root, out);
        assertThat(out.toByteArray()).isEqualTo(DemoTree.nar());
        assertThat(digest.narHash()).hasToString(DemoTree.NAR_HASH);
        assertThat(digest.narSize()).isEqualTo(DemoTree.NAR_SIZE);
        assertThat(NarWriter.hash(root)).isEqualTo(digest);
        assertThat(digest.narHash().bytes()).isEqualTo(HashAlgorithm.SHA256.newDigest().digest(out.toByteArray()));
    }

    @Test
    void readingTheOutputBackReproducesTheTree() throws IOException {
        Path root = tmp.resolve("demo");
        DemoTree.create(root);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        NarWriter.write(root, out);
        assertThat(RecordingVisitor.read(out.toByteArray())).containsExactlyElementsOf(DemoTree.EVENTS);

        Path copy = tmp.resolve("copy");
        NarUnpacker.unpack(new ByteArrayInputStream(out.toByteArray()), copy);
        assertThat(NarWriter.hash(copy)).isEqualTo(NarWriter.hash(root));
    }

    /** {@code echo -n hello > f; nix hash path --base32 f} with Nix 2.8.0; {@code nix-store --dump f | wc -c} is 120. */
    @Test
    void singleFile() throws IOException {
        Path file = Files.writeString(tmp.resolve("f"), "hello");
        NarDigest digest = NarWriter.hash(file);
        assertThat(digest.narHash()).hasToString("sha256:0sg9f58l1jj88w6pdrfdpj5x9b1zrwszk84j81zvby36q9whhhqa");
        assertThat(digest.narSize()).isEqualTo(120);
    }

    /** {@code ln -s /tmp/outside sl; nix hash path --base32 sl} with Nix 2.8.0. */
    @Test
    void symlinkAsRootIsNotFollowed() throws IOException {
        Path link = Files.createSymbolicLink(tmp.resolve("sl"), Path.of("/tmp/outside"));
        assertThat(NarWriter.hash(link).narHash())
                .hasToString("sha256:1z6dfiakkb7j8k5rs0sp0117k9jyranxh4qggly8xd3mps92xhgd");
    }

    /**
     * Entries in order of their UTF-8 bytes: {@code B < a < a-b < a.b < ä}. Nix 2.8.0 agrees:
     * {@code mkdir order; touch order/{B,a,a-b,a.b,ä}; nix hash path --base32 order}.
     */
    @Test
    void ordersEntriesByBytes() throws IOException {
        Path root = Files.createDirectory(tmp.resolve("order"));
        for (String name : List.of("\u00e4", "a.b", "a-b", "a", "B")) {
            Files.createFile(root.resolve(name));
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        NarDigest digest = NarWriter.write(root, out);
        assertThat(RecordingVisitor.read(out.toByteArray())).containsExactly("dir ",
                "file B 0 ", "file a 0 ", "file a-b 0 ", "file a.b 0 ", "file \u00e4 0 ");
        assertThat(digest.narHash()).hasToString("sha256:1hfwi4swd4rmffqypzjcqhk8yl46hpf86d62h9qp0qhiagra8dd2");
    }

    /** Targets are written as the link holds them, even where {@code Path.of} would normalise them. */
    @Test
    void writesSymlinkTargetsExactly() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("links"));
        Process ln = new ProcessBuilder("/bin/sh", "-c", "ln -s a//b \"$1/double\" && ln -s dir/ \"$1/trailing\"",
                "sh", dir.toString()).inheritIO().start();
        assertThat(ln.waitFor()).isZero();
        byte[] expected = NarBytes.nar().directory()
                .entry("double").symlink("a//b").close()
                .entry("trailing").symlink("dir/").close()
                .close().bytes();
        assertThat(nar(dir)).isEqualTo(expected);
    }

    /** Nix looks at the owner's execute bit only. */
    @Test
    void executableMeansOwnerExecutable() throws IOException {
        Path groupOnly = Files.writeString(tmp.resolve("g"), "x");
        Files.setPosixFilePermissions(groupOnly, PosixFilePermissions.fromString("rw-r-xr-x"));
        Path ownerOnly = Files.writeString(tmp.resolve("o"), "x");
        Files.setPosixFilePermissions(ownerOnly, PosixFilePermissions.fromString("rwx------"));
        assertThat(RecordingVisitor.read(nar(groupOnly))).containsExactly("file  1 x");
        assertThat(RecordingVisitor.read(nar(ownerOnly))).containsExactly("file  exec 1 x");
    }

    @Test
    void largeFilesStreamThrough() throws IOException {
        byte[] big = new byte[3 * 1024 * 1024 + 5];
        new java.util.Random(1).nextBytes(big);
        Path file = Files.write(tmp.resolve("big"), big);
        byte[] nar = nar(file);
        assertThat(nar).hasSize(96 + big.length + 3 + 8 + 8);
        assertThat(RecordingVisitor.read(nar)).containsExactly(RecordingVisitor.file("", false, big));
    }

    @Test
    void rejectsASocketNamingItsPath() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("tree/sub"));
        Files.writeString(dir.resolve("a"), "fine");
        Path socket = dir.resolve("s.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            assertThatThrownBy(() -> NarWriter.hash(tmp.resolve("tree")))
                    .isInstanceOf(NixFormatException.class)
                    .hasMessageContaining("cannot put " + socket + " in a NAR")
                    .hasMessageContaining("socket");
        }
    }

    @Test
    void rejectsAFifoNamingItsPath() throws Exception {
        Path fifo = tmp.resolve("pipe");
        assertThat(new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start().waitFor()).isZero();
        assertThatThrownBy(() -> NarWriter.hash(fifo))
                .isInstanceOf(NixFormatException.class)
                .hasMessageContaining("cannot put " + fifo + " in a NAR")
                .hasMessageContaining("FIFO");
    }

    /** A file name that is not UTF-8 cannot be written correctly, so it is refused. */
    @Test
    void rejectsANameThatIsNotUtf8() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("latin1"));
        Process touch = new ProcessBuilder("/bin/sh", "-c", "touch \"$1/caf$(printf '\\351')\"", "sh", dir.toString())
                .inheritIO().start();
        assertThat(touch.waitFor()).isZero();
        assertThatThrownBy(() -> NarWriter.hash(dir))
                .isInstanceOf(NixFormatException.class)
                .hasMessageContaining("its name is not valid UTF-8");
    }

    @Test
    void missingRootIsAnIoError() {
        assertThatThrownBy(() -> NarWriter.hash(tmp.resolve("nothing")))
                .isInstanceOf(java.io.UncheckedIOException.class)
                .hasMessageContaining("nothing");
    }

    /** NarWriter and the independent {@link NarBytes} spelling agree byte for byte on random trees. */
    @Property(tries = 150)
    void agreesWithTheModelOnRandomTrees(@ForAll("trees") NarTree tree) throws IOException {
        Path dir = Files.createTempDirectory("ferry-narwriter-");
        try {
            Path root = dir.resolve("root");
            tree.create(root);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            NarDigest digest = NarWriter.write(root, out);
            byte[] expected = tree.nar();
            assertThat(out.toByteArray()).isEqualTo(expected);
            assertThat(digest.narSize()).isEqualTo(expected.length);
            assertThat(RecordingVisitor.read(out.toByteArray())).containsExactlyElementsOf(tree.events());
        } finally {
            FileTrees.delete(dir);
        }
    }

    @Provide
    Arbitrary<NarTree> trees() {
        return NarTree.trees();
    }

    private static byte[] nar(Path root) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        NarWriter.write(root, out);
        return out.toByteArray();
    }
}
