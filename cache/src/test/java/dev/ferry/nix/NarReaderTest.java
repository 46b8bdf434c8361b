package dev.ferry.nix;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class NarReaderTest {

    @Test
    void readsTheNarNixWrote() {
        byte[] nar = DemoTree.nar();
        RecordingVisitor visitor = new RecordingVisitor();
        assertThat(NarReader.read(new ByteArrayInputStream(nar), visitor)).isEqualTo(DemoTree.NAR_SIZE);
        assertThat(visitor.events()).containsExactlyElementsOf(DemoTree.EVENTS);
    }

    /** The test builder writes what Nix writes, so NARs crafted with it differ from real ones only where intended. */
    @Test
    void narBytesSpellsNixsFormat() {
        assertThat(DemoTree.narBytes().bytes()).isEqualTo(DemoTree.nar());
        // echo -n hello > f; nix hash path --base32 f   (a 120-byte NAR)
        byte[] hello = NarBytes.nar().file("hello").bytes();
        assertThat(hello).hasSize(120);
        assertThat(Hash.sha256(HashAlgorithm.SHA256.newDigest().digest(hello)).toNix32())
                .isEqualTo("sha256:0sg9f58l1jj88w6pdrfdpj5x9b1zrwszk84j81zvby36q9whhhqa");
    }

    @Test
    void readsSingleNodes() {
        assertThat(RecordingVisitor.read(NarBytes.nar().file("").bytes())).containsExactly("file  0 ");
        assertThat(RecordingVisitor.read(NarBytes.nar().file(new byte[] {1, 2, 3}, true).bytes()))
                .containsExactly("file  exec 3 \u0001\u0002\u0003");
        assertThat(RecordingVisitor.read(NarBytes.nar().symlink("/nix/store/x").bytes())).containsExactly("link  -> /nix/store/x");
        assertThat(RecordingVisitor.read(NarBytes.nar().directory().close().bytes())).containsExactly("dir ");
    }

    @Test
    void readsNonAsciiNamesAndTargets() {
        byte[] nar = NarBytes.nar().directory().entry("caf\u00e9").symlink("\u65e5\u672c").close().close().bytes();
        assertThat(RecordingVisitor.read(nar)).containsExactly("dir ", "link caf\u00e9 -> \u65e5\u672c");
    }

    @Test
    void validatingVisitorAcceptsAValidNar() {
        assertThat(NarReader.read(new ByteArrayInputStream(DemoTree.nar()), NarVisitor.validating())).isEqualTo(888);
    }

    @Test
    void contentsLeftUnreadAreSkipped() {
        byte[] big = new byte[200_000];
        Arrays.fill(big, (byte) 7);
        byte[] nar = NarBytes.nar().directory()
                .entry("a").file(big, false).close()
                .entry("b").file("after").close()
                .close().bytes();
        List<String> seen = new ArrayList<>();
        NarReader.read(new ByteArrayInputStream(nar), new NarVisitor() {
            @Override
            public void directory(List<String> path) {
            }

            @Override
            public void regularFile(List<String> path, boolean executable, long size, InputStream contents) {
                try {
                    seen.add(path + " " + size + " " + contents.read() + " " + contents.available());
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }

            @Override
            public void symlink(List<String> path, String target) {
            }
        });
        assertThat(seen).hasSize(2);
        assertThat(seen.get(0)).startsWith("[a] 200000 7 ");
        // 'a' of "after", then at most the 4 bytes left
        assertThat(seen.get(1)).matches("\\[b\\] 5 97 [0-4]");
    }

    @Test
    void visitorExceptionsPassThrough() {
        IllegalStateException boom = new IllegalStateException("boom");
        assertThatThrownBy(() -> NarReader.read(new ByteArrayInputStream(DemoTree.nar()), new NarVisitor() {
            @Override
            public void directory(List<String> path) {
            }

            @Override
            public void regularFile(List<String> path, boolean executable, long size, InputStream contents) {
                throw boom;
            }

            @Override
            public void symlink(List<String> path, String target) {
            }
        })).isSameAs(boom);
    }

    @Test
    void failingStreamIsAnIoErrorNotAFormatError() {
        byte[] nar = DemoTree.nar();
        InputStream failing = new InputStream() {
            private int pos;

            @Override
            public int read() throws IOException {
                if (pos == 100) {
                    throw new IOException("disk on fire");
                }
                return nar[pos++] & 0xff;
            }
        };
        assertThatThrownBy(() -> NarReader.read(failing, NarVisitor.validating()))
                .isInstanceOf(UncheckedIOException.class)
                .hasMessageContaining("at byte 100")
                .hasMessageContaining("disk on fire");
    }

    @Test
    void readsFromStreamsThatReturnOneByteAtATime() {
        byte[] nar = DemoTree.nar();
        InputStream trickle = new InputStream() {
            private int pos;

            @Override
            public int read() {
                return pos < nar.length ? nar[pos++] & 0xff : -1;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (pos == nar.length) {
                    return -1;
                }
                b[off] = nar[pos++];
                return 1;
            }
        };
        RecordingVisitor visitor = new RecordingVisitor();
        NarReader.read(trickle, visitor);
        assertThat(visitor.events()).containsExactlyElementsOf(DemoTree.EVENTS);
    }

    // Malformed input

    @Test
    void everyTruncationIsReportedAsTruncated() {
        byte[] nar = DemoTree.nar();
        for (int length = 0; length < nar.length; length++) {
            byte[] prefix = Arrays.copyOf(nar, length);
            for (NarVisitor visitor : List.of(new RecordingVisitor(), NarVisitor.validating())) {
                assertMalformed(prefix, visitor, length, "truncated NAR");
            }
        }
    }

    @Test
    void rejectsWrongMagic() {
        assertMalformed(NarBytes.empty().str("nix-archive-2").directory().close().bytes(), 0,
                "not a NAR: expected magic 'nix-archive-1'");
        assertMalformed(NarBytes.empty().str("(").bytes(), 0, "not a NAR");
        assertMalformed(NarBytes.empty().u64(1L << 40).bytes(), 0, "magic: string length 1099511627776 exceeds 64");
    }

    @Test
    void rejectsNonZeroPadding() {
        NarBytes nar = NarBytes.nar();
        int at = nar.size() + 8 + 1;
        nar.u64(1).raw((byte) '(', 0, 0, 0, 0, 0, 0, 1);
        assertMalformed(nar.tokens("type", "regular", "contents").str("").tokens(")").bytes(), at, "non-zero padding");

        // in file contents
        byte[] good = NarBytes.nar().file("hello").bytes();
        int contentsPadding = NarBytes.nar().tokens("(", "type", "regular", "contents").size() + 8 + 5;
        byte[] bad = good.clone();
        bad[contentsPadding + 2] = 1;
        assertMalformed(bad, contentsPadding, "non-zero padding");
    }

    @ParameterizedTest
    @ValueSource(strings = {"fifo", "socket", "Regular", "", "directory\u0000"})
    void rejectsUnknownNodeType(String type) {
        NarBytes nar = NarBytes.nar().tokens("(", "type");
        int at = nar.size();
        assertMalformed(nar.tokens(type, ")").bytes(), at, "unknown node type '");
    }

    @Test
    void unprintableBytesAreEscapedInMessages() {
        NarBytes nar = NarBytes.nar().tokens("(", "type");
        int at = nar.size();
        assertMalformed(nar.str(new byte[] {1, (byte) 0xff, 'x'}).bytes(), at, "unknown node type '\\x01\\xffx'");
    }

    @Test
    void rejectsUnsortedEntries() {
        NarBytes nar = NarBytes.nar().directory().entry("b").file("").close().tokens("entry", "(", "name");
        int at = nar.size();
        nar.str("a").tokens("node").file("").close().close();
        assertMalformed(nar.bytes(), at, "entry 'a' is out of order (names must be sorted by bytes)");
    }

    /** Byte order, not Java's UTF-16 order: U+FF61 sorts before U+10000 in UTF-16 but after it in UTF-8. */
    @Test
    void entryOrderIsByUtf8Bytes() {
        byte[] sorted = NarBytes.nar().directory()
                .entry("\uff61").file("").close()
                .entry("\ud800\udc00").file("").close()
                .close().bytes();
        assertThat(RecordingVisitor.read(sorted)).hasSize(3);
        NarBytes nar = NarBytes.nar().directory().entry("\ud800\udc00").file("").close().tokens("entry", "(", "name");
        int at = nar.size();
        nar.str("\uff61").tokens("node").file("").close().close();
        assertMalformed(nar.bytes(), at, "is out of order");
    }

    @Test
    void rejectsDuplicateEntries() {
        NarBytes nar = NarBytes.nar().directory().entry("a").file("").close().tokens("entry", "(", "name");
        int at = nar.size();
        nar.str("a").tokens("node").directory().close().close().close();
        assertMalformed(nar.bytes(), at, "duplicate entry name 'a'");
    }

    @ParameterizedTest
    @ValueSource(strings = {".", ".."})
    void rejectsDotNames(String name) {
        assertBadName(name.getBytes(), "entry name '" + name + "' is not allowed");
    }

    @Test
    void rejectsEmptyName() {
        assertBadName(new byte[0], "empty entry name");
    }

    @Test
    void rejectsNameWithSlash() {
        assertBadName("a/b".getBytes(), "entry name contains '/'");
        assertBadName("/".getBytes(), "entry name contains '/'");
    }

    @Test
    void rejectsNameWithNul() {
        assertBadName(new byte[] {'a', 0, 'b'}, "entry name contains a NUL byte");
    }

    @Test
    void rejectsNameThatIsNotUtf8() {
        assertBadName(new byte[] {'a', (byte) 0xff}, "entry name is not valid UTF-8");
        // an overlong encoding of '/'
        assertBadName(new byte[] {(byte) 0xc0, (byte) 0xaf}, "entry name is not valid UTF-8");
        // a lone surrogate, encoded
        assertBadName(new byte[] {(byte) 0xed, (byte) 0xa0, (byte) 0x80}, "entry name is not valid UTF-8");
    }

    @Test
    void rejectsNameLongerThan255Bytes() {
        assertThat(RecordingVisitor.read(NarBytes.nar().directory().entry("x".repeat(255)).file("").close().close().bytes()))
                .hasSize(2);
        assertBadName("x".repeat(256).getBytes(), "entry name: string length 256 exceeds 255");
    }

    private static void assertBadName(byte[] name, String message) {
        NarBytes nar = NarBytes.nar().directory().tokens("entry", "(", "name");
        int at = nar.size();
        nar.str(name).tokens("node").file("x").close().close();
        assertMalformed(nar.bytes(), at, message);
    }

    @Test
    void rejectsNestingDeeperThanTheLimit() {
        assertThat(RecordingVisitor.read(nested(512))).hasSize(512);
        byte[] tooDeep = nested(513);
        int at = NarBytes.nar().size() + 512 * NarBytes.empty().directory().entry("d").size()
                + NarBytes.empty().tokens("(", "type", "directory").size();
        assertMalformed(tooDeep, at, "directories nested deeper than 512");

        assertThat(NarReader.read(new ByteArrayInputStream(nested(3)), NarVisitor.validating(), 3)).isPositive();
        assertThatThrownBy(() -> NarReader.read(new ByteArrayInputStream(nested(4)), NarVisitor.validating(), 3))
                .isInstanceOf(NixFormatException.class)
                .hasMessageContaining("nested deeper than 3");
    }

    /** {@code depth} directories, each but the last holding one directory named d. */
    private static byte[] nested(int depth) {
        NarBytes nar = NarBytes.nar();
        for (int i = 0; i < depth - 1; i++) {
            nar.directory().entry("d");
        }
        nar.directory().close();
        for (int i = 0; i < depth - 1; i++) {
            nar.close().close();
        }
        return nar.bytes();
    }

    @ParameterizedTest
    @ValueSource(longs = {1L << 62, Long.MAX_VALUE, 1L << 30, 65})
    void rejectsOversizeTokenLengthWithoutAllocating(long length) {
        NarBytes nar = NarBytes.nar().tokens("(");
        int at = nar.size();
        byte[] bytes = nar.u64(length).raw(new byte[64]).bytes();
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        assertMalformed(bytes, at, "string length " + length + " exceeds 64");
        assertThat(threads.getCurrentThreadAllocatedBytes() - before).isLessThan(4L << 20);
    }

    @ParameterizedTest
    @ValueSource(longs = {-1, Long.MIN_VALUE})
    void rejectsNegativeTokenLength(long length) {
        NarBytes nar = NarBytes.nar().tokens("(", "type", "directory", "entry", "(", "name");
        int at = nar.size();
        assertMalformed(nar.u64(length).bytes(), at, "entry name: string length " + Long.toUnsignedString(length)
                + " exceeds 255");
    }

    @Test
    void rejectsOversizeSymlinkTarget() {
        assertThat(RecordingVisitor.read(NarBytes.nar().symlink("t".repeat(4095)).bytes())).hasSize(1);
        NarBytes nar = NarBytes.nar().tokens("(", "type", "symlink", "target");
        int at = nar.size();
        assertMalformed(nar.str("t".repeat(4096)).tokens(")").bytes(), at, "symlink target: string length 4096 exceeds 4095");
    }

    /** A file claiming 2^62 bytes ends early; the reader streams and must not try to hold it. */
    @Test
    void hugeFileSizeIsTruncationNotAllocation() {
        NarBytes nar = NarBytes.nar().tokens("(", "type", "regular", "contents").u64(1L << 62).raw(new byte[100]);
        int end = nar.size();
        assertMalformed(nar.bytes(), end, "truncated NAR: file contents end " + ((1L << 62) - 100) + " bytes early");
        assertMalformed(nar.bytes(), NarVisitor.validating(), end, "truncated NAR");
    }

    @ParameterizedTest
    @ValueSource(longs = {-1, Long.MIN_VALUE, -8})
    void rejectsNegativeFileSize(long size) {
        NarBytes nar = NarBytes.nar().tokens("(", "type", "regular", "contents");
        int at = nar.size();
        assertMalformed(nar.u64(size).raw(new byte[64]).bytes(), at, "file size is out of range");
    }

    @Test
    void rejectsTrailingDataAfterTheRoot() {
        byte[] nar = DemoTree.nar();
        assertMalformed(Arrays.copyOf(nar, nar.length + 1), nar.length, "trailing data after the NAR's root node");
        assertMalformed(Arrays.copyOf(nar, nar.length + 8), nar.length, "trailing data after the NAR's root node");
        byte[] twice = new byte[nar.length * 2];
        System.arraycopy(nar, 0, twice, 0, nar.length);
        System.arraycopy(nar, 0, twice, nar.length, nar.length);
        assertMalformed(twice, nar.length, "trailing data");
    }

    @Test
    void rejectsBadSymlinkTargets() {
        NarBytes prefix = NarBytes.nar().tokens("(", "type", "symlink", "target");
        int at = prefix.size();
        assertMalformed(prefix.str("").tokens(")").bytes(), at, "empty symlink target");
        assertMalformed(NarBytes.nar().tokens("(", "type", "symlink", "target").str(new byte[] {'a', 0}).tokens(")").bytes(),
                at, "symlink target contains a NUL byte");
        assertMalformed(NarBytes.nar().tokens("(", "type", "symlink", "target").str(new byte[] {(byte) 0xfe}).tokens(")").bytes(),
                at, "symlink target is not valid UTF-8");
    }

    @Test
    void rejectsNonEmptyExecutableMarker() {
        NarBytes nar = NarBytes.nar().tokens("(", "type", "regular", "executable");
        int at = nar.size();
        assertMalformed(nar.tokens("x", "contents").str("").tokens(")").bytes(), at,
                "expected an empty string after 'executable'");
    }

    @Test
    void rejectsRegularFileWithoutContents() {
        NarBytes nar = NarBytes.nar().tokens("(", "type", "regular");
        int at = nar.size();
        assertMalformed(nar.tokens(")").bytes(), at, "expected 'contents' in a regular file, found ')'");
        NarBytes exec = NarBytes.nar().tokens("(", "type", "regular", "executable", "");
        int execAt = exec.size();
        assertMalformed(exec.tokens("executable", "").bytes(), execAt, "expected 'contents' in a regular file, found 'executable'");
    }

    @Test
    void rejectsTokensOutOfPlace() {
        NarBytes noType = NarBytes.nar().tokens("(");
        int at = noType.size();
        assertMalformed(noType.tokens("kind", "regular").bytes(), at, "expected 'type', found 'kind'");

        NarBytes noParen = NarBytes.nar();
        assertMalformed(noParen.tokens("type").bytes(), noParen.size() - 16, "expected '(', found 'type'");

        NarBytes junk = NarBytes.nar().directory();
        int junkAt = junk.size();
        assertMalformed(junk.tokens("file").bytes(), junkAt, "expected 'entry' or ')' in a directory, found 'file'");

        NarBytes noName = NarBytes.nar().directory().tokens("entry", "(");
        int nameAt = noName.size();
        assertMalformed(noName.tokens("node").bytes(), nameAt, "expected 'name', found 'node'");

        NarBytes unclosedEntry = NarBytes.nar().directory().entry("a").file("");
        int closeAt = unclosedEntry.size();
        assertMalformed(unclosedEntry.entry("b").file("").close().close().bytes(), closeAt, "expected ')', found 'entry'");

        NarBytes fileNotClosed = NarBytes.nar().file("x");
        int endAt = fileNotClosed.size() - 16;
        assertMalformed(Arrays.copyOf(fileNotClosed.bytes(), endAt), endAt, "truncated");
    }

    private static void assertMalformed(byte[] nar, long at, String message) {
        assertMalformed(nar, new RecordingVisitor(), at, message);
    }

    private static void assertMalformed(byte[] nar, NarVisitor visitor, long at, String message) {
        assertThatThrownBy(() -> NarReader.read(new ByteArrayInputStream(nar), visitor))
                .isInstanceOf(NixFormatException.class)
                .hasMessageStartingWith("malformed NAR at byte " + at + ": ")
                .hasMessageContaining(message);
    }
}
