package dev.ferry.nix;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class NarUnpackerTest {
    @TempDir
    Path tmp;
    Path parent;
    Path dest;
    /** A directory outside the destination that a hostile NAR points at. */
    Path outside;

    @BeforeEach
    void setUp() throws IOException {
        parent = Files.createDirectory(tmp.resolve("parent"));
        dest = parent.resolve("dest");
        outside = Files.createDirectory(tmp.resolve("outside"));
    }

    @Test
    void unpacksTheNarNixWrote() throws IOException {
        unpack(DemoTree.nar());
        assertThat(dest.resolve("greeting")).hasContent("hello");
        assertThat(Files.readAllBytes(dest.resolve("sub/run"))).isEqualTo(DemoTree.RUN);
        assertThat(Files.isSymbolicLink(dest.resolve("link"))).isTrue();
        assertThat(Files.readSymbolicLink(dest.resolve("link"))).isEqualTo(Path.of("greeting"));
        // The tree's NAR hash is the one Nix computed.
        assertThat(NarWriter.hash(dest).narHash()).hasToString(DemoTree.NAR_HASH);
        assertThat(parentEntries()).containsExactly("dest");
    }

    @Test
    void restoresTheExecutableBit() throws IOException {
        unpack(DemoTree.nar());
        assertThat(Files.getPosixFilePermissions(dest.resolve("sub/run")))
                .contains(PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.GROUP_EXECUTE,
                        PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OWNER_READ);
        assertThat(Files.getPosixFilePermissions(dest.resolve("greeting")))
                .doesNotContain(PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.GROUP_EXECUTE,
                        PosixFilePermission.OTHERS_EXECUTE);
    }

    /** mkdir emptydir; touch emptyfile; nix hash path --base32 . (Nix 2.8.0): a 456-byte NAR. */
    @Test
    void unpacksEmptyFilesAndDirectories() throws IOException {
        unpack(NarBytes.nar().directory()
                .entry("emptydir").directory().close().close()
                .entry("emptyfile").file("").close()
                .close().bytes());
        assertThat(dest.resolve("emptydir")).isEmptyDirectory();
        assertThat(dest.resolve("emptyfile")).isRegularFile().isEmptyFile();
        NarDigest digest = NarWriter.hash(dest);
        assertThat(digest.narHash()).hasToString("sha256:1cfzij8ynaxhbdcak22zpdv0qygizmp52jphqfaryqqmrjky1ars");
        assertThat(digest.narSize()).isEqualTo(456);
    }

    @Test
    void unpacksASingleFileOrSymlinkAsTheRoot() throws IOException {
        unpack(NarBytes.nar().file("hello").bytes());
        assertThat(dest).isRegularFile().hasContent("hello");

        Path link = parent.resolve("link");
        NarUnpacker.unpack(new ByteArrayInputStream(NarBytes.nar().symlink(outside.toString()).bytes()), link);
        assertThat(Files.isSymbolicLink(link)).isTrue();
        assertThat(Files.readSymbolicLink(link)).isEqualTo(outside);
        assertThat(outside).isEmptyDirectory();
    }

    /** Symlinks are created as they are, pointing anywhere, and nothing is created at or through their targets. */
    @Test
    void createsSymlinksWithoutFollowing() throws IOException {
        Path missing = outside.resolve("missing");
        unpack(NarBytes.nar().directory()
                .entry("abs").symlink(missing.toString()).close()
                .entry("dangling").symlink("no/such/file").close()
                .entry("up").symlink("../../outside").close()
                .close().bytes());
        assertThat(Files.readSymbolicLink(dest.resolve("abs"))).isEqualTo(missing);
        assertThat(Files.readSymbolicLink(dest.resolve("dangling"))).isEqualTo(Path.of("no/such/file"));
        assertThat(Files.readSymbolicLink(dest.resolve("up"))).isEqualTo(Path.of("../../outside"));
        assertThat(Files.exists(dest.resolve("dangling"))).isFalse();
        assertThat(outside).isEmptyDirectory();
    }

    /**
     * {@code Path.of} turns {@code a//b} into {@code a/b} and {@code dir/} into {@code dir}; unpacking such a link
     * through it would silently change the tree (and its NAR hash), so the unpacker refuses instead.
     */
    @ParameterizedTest
    @ValueSource(strings = {"dir/", "a//b", "//etc", "../x/"})
    void refusesSymlinkTargetsTheJdkWouldRewrite(String target) throws IOException {
        byte[] nar = NarBytes.nar().directory()
                .entry("a").file("x").close()
                .entry("l").symlink(target).close()
                .close().bytes();
        assertThat(RecordingVisitor.read(nar)).contains("link l -> " + target);
        assertThatThrownBy(() -> unpack(nar))
                .isInstanceOf(NixFormatException.class)
                .hasMessageContaining("cannot unpack symlink 'l' -> '" + target + "' exactly");
        assertThat(parentEntries()).isEmpty();
    }

    @Test
    void destinationMustNotExist() throws IOException {
        Files.createDirectory(dest);
        Files.writeString(dest.resolve("keep"), "mine");
        assertThatThrownBy(() -> unpack(DemoTree.nar()))
                .isInstanceOf(UncheckedIOException.class)
                .hasCauseInstanceOf(FileAlreadyExistsException.class)
                .hasMessageContaining("must not exist");
        assertThat(dest.resolve("keep")).hasContent("mine");
        assertThat(parentEntries()).containsExactly("dest");
    }

    @Test
    void destinationMustNotExistEvenAsAnEmptyDirectoryOrADanglingSymlink() throws IOException {
        Files.createDirectory(dest);
        assertThatThrownBy(() -> unpack(DemoTree.nar())).hasCauseInstanceOf(FileAlreadyExistsException.class);
        assertThat(dest).isEmptyDirectory();

        Path link = parent.resolve("link");
        Files.createSymbolicLink(link, outside.resolve("nothing"));
        assertThatThrownBy(() -> NarUnpacker.unpack(new ByteArrayInputStream(DemoTree.nar()), link))
                .hasCauseInstanceOf(FileAlreadyExistsException.class);
        assertThat(outside).isEmptyDirectory();
        assertThat(parentEntries()).containsExactlyInAnyOrder("dest", "link");
    }

    @Test
    void missingParentIsAnIoError() {
        Path orphan = tmp.resolve("no/such/parent/dest");
        assertThatThrownBy(() -> NarUnpacker.unpack(new ByteArrayInputStream(DemoTree.nar()), orphan))
                .isInstanceOf(UncheckedIOException.class)
                .hasMessageContaining("staging directory");
        assertThat(tmp.resolve("no")).doesNotExist();
    }

    static Stream<byte[]> malformedNars() {
        byte[] demo = DemoTree.nar();
        return Stream.of(
                Arrays.copyOf(demo, 700),                        // truncated inside sub/run
                Arrays.copyOf(demo, demo.length - 1),            // truncated in the last ')'
                Arrays.copyOf(demo, demo.length + 8),            // trailing data, after everything was written
                NarBytes.nar().directory()
                        .entry("a").file("written before the error").close()
                        .entry("b").directory().entry("c").file("x").close().close().close()
                        .entry("b").file("duplicate").close()
                        .close().bytes(),
                NarBytes.nar().directory().entry("z").file("").close().entry("a").file("").close().close().bytes(),
                NarBytes.nar().directory().entry("..").file("").close().close().bytes(),
                NarBytes.nar().tokens("(", "type", "regular", "contents").u64(1L << 62).raw(new byte[5000]).bytes());
    }

    @ParameterizedTest
    @MethodSource("malformedNars")
    void failedUnpackLeavesNothingBehind(byte[] nar) throws IOException {
        assertThatThrownBy(() -> unpack(nar)).isInstanceOf(NixFormatException.class);
        assertThat(dest).doesNotExist();
        assertThat(parentEntries()).isEmpty();
    }

    @Test
    void everyTruncationLeavesNothingBehind() throws IOException {
        byte[] demo = DemoTree.nar();
        for (int length = 0; length < demo.length; length += 8) {
            byte[] prefix = Arrays.copyOf(demo, length);
            assertThatThrownBy(() -> unpack(prefix)).isInstanceOf(NixFormatException.class).hasMessageContaining("truncated");
            assertThat(parentEntries()).isEmpty();
        }
    }

    /**
     * The classic escape: a symlink {@code a -> OUTSIDE}, then entries under {@code a}. A NAR cannot name a path under
     * {@code a} except by repeating the entry {@code a} (a duplicate) or by a name with '/' (forbidden), so both are
     * rejected, and nothing lands outside.
     */
    @Test
    void symlinkThenEntryThroughItIsRejectedAndNothingEscapes() throws IOException {
        byte[] duplicate = NarBytes.nar().directory()
                .entry("a").symlink(outside.toString()).close()
                .entry("a").directory().entry("x").file("pwned").close().close().close()
                .close().bytes();
        assertThatThrownBy(() -> unpack(duplicate))
                .isInstanceOf(NixFormatException.class)
                .hasMessageContaining("duplicate entry name 'a'");

        byte[] slash = NarBytes.nar().directory()
                .entry("a").symlink(outside.toString()).close()
                .entry("a/x").file("pwned").close()
                .close().bytes();
        assertThatThrownBy(() -> unpack(slash))
                .isInstanceOf(NixFormatException.class)
                .hasMessageContaining("entry name contains '/'");

        byte[] relative = NarBytes.nar().directory()
                .entry("a").symlink("../../outside").close()
                .entry("a").file("pwned").close()
                .close().bytes();
        assertThatThrownBy(() -> unpack(relative))
                .isInstanceOf(NixFormatException.class)
                .hasMessageContaining("duplicate entry name 'a'");

        assertThat(outside).isEmptyDirectory();
        assertThat(dest).doesNotExist();
        assertThat(parentEntries()).isEmpty();
    }

    /** A staging directory from an earlier failure does not matter, and a failure removes only its own. */
    @Test
    void failureRemovesOnlyItsOwnStagingDirectory() throws IOException {
        Path unrelated = Files.createDirectory(parent.resolve(".dest.unpack-unrelated"));
        assertThatThrownBy(() -> unpack(Arrays.copyOf(DemoTree.nar(), 500))).isInstanceOf(NixFormatException.class);
        assertThat(parentEntries()).containsExactly(unrelated.getFileName().toString());
        unpack(DemoTree.nar());
        assertThat(parentEntries()).containsExactlyInAnyOrder("dest", ".dest.unpack-unrelated");
    }

    private void unpack(byte[] nar) {
        NarUnpacker.unpack(new ByteArrayInputStream(nar), dest);
    }

    private List<String> parentEntries() throws IOException {
        try (Stream<Path> entries = Files.list(parent)) {
            return entries.filter(p -> Files.exists(p, LinkOption.NOFOLLOW_LINKS))
                    .map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
