package dev.ferry.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.nix.NixCli;
import dev.ferry.nix.SameBytes;
import dev.ferry.nix.TestTrees;
import dev.ferry.nix.TestTrees.Root;
import dev.ferry.testkit.RequiresPrograms;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** {@code ferry nar dump|hash|unpack} against {@code nix-store --dump} and {@code nix hash path}. */
@RequiresPrograms({"nix", "nix-store"})
class NarCliIT {
    private static final NixCli NIX = new NixCli();
    private static final Map<Root, Path> TREES = new EnumMap<>(Root.class);
    private static final Map<Root, Path> NIX_DUMPS = new EnumMap<>(Root.class);

    @TempDir
    static Path dir;

    @TempDir
    Path scratch;

    @BeforeAll
    static void generateTreesAndLetNixDumpThem() throws IOException {
        Path trees = Files.createDirectory(dir.resolve("trees"));
        for (Root root : List.of(Root.FULL_TREE, Root.FILE_ROOT, Root.EXECUTABLE_FILE_ROOT, Root.SYMLINK_ROOT)) {
            TREES.put(root, root.create(trees));
            NIX_DUMPS.put(root, NIX.dumpToFile(TREES.get(root), dir.resolve(root + ".nar")));
        }
    }

    /** The full tree holds the 64 MiB file and the non-ASCII names; the others are the single-node roots. */
    @ParameterizedTest
    @EnumSource(value = Root.class, names = {"FULL_TREE", "EXECUTABLE_FILE_ROOT", "SYMLINK_ROOT"})
    void dumpWritesWhatNixStoreDumpWrites(Root root) {
        SameBytes stdout = SameBytes.as(NIX_DUMPS.get(root), "nix-store --dump");

        FerryCli.Result result = FerryCli.run(List.of("nar", "dump", TREES.get(root).toString()), Optional.empty(),
                stdout);

        assertThat(result.exitCode()).as(result.stderr()).isZero();
        stdout.assertSame("ferry nar dump of " + root);
        assertThat(result.stderr()).isEmpty();
    }

    @Test
    void hashPrintsWhatNixHashPathPrints() throws IOException {
        Path tree = TREES.get(Root.FULL_TREE);
        String nixHash = NIX.stdout("nix", "--extra-experimental-features", "nix-command",
                "hash", "path", "--type", "sha256", "--base32", tree.toString());

        FerryCli.Result hash = FerryCli.run("nar", "hash", tree.toString());
        FerryCli.Result hashAndSize = FerryCli.run("nar", "hash", "--size", tree.toString());

        assertThat(hash.exitCode()).as(hash.stderr()).isZero();
        assertThat(hash.stdout()).isEqualTo("sha256:" + nixHash + "\n");
        assertThat(hashAndSize.stdout()).isEqualTo("sha256:" + nixHash + " "
                + Files.size(NIX_DUMPS.get(Root.FULL_TREE)) + "\n");
    }

    @Test
    void unpackFromAFileReproducesTheTree() {
        Path nar = NIX_DUMPS.get(Root.FULL_TREE);
        Path destination = scratch.resolve("unpacked");

        FerryCli.Result result = FerryCli.run(List.of("nar", "unpack", "--input", nar.toString(),
                destination.toString()), Optional.empty(), OutputStream.nullOutputStream());

        assertThat(result.exitCode()).as(result.stderr()).isZero();
        assertNixDumps(destination, nar);
    }

    @Test
    void unpackFromStandardInputReproducesTheTree() {
        Path nar = NIX_DUMPS.get(Root.FULL_TREE);
        Path destination = scratch.resolve("unpacked");

        FerryCli.Result result = FerryCli.run(List.of("nar", "unpack", destination.toString()), Optional.of(nar),
                OutputStream.nullOutputStream());

        assertThat(result.exitCode()).as(result.stderr()).isZero();
        assertNixDumps(destination, nar);
    }

    /** Ways to break a NAR, each with what ferry must say about it. */
    enum Corruption {
        BAD_MAGIC("expected magic 'nix-archive-1'", nar -> {
            nar[8] = 'N';
            return nar;
        }),
        TRUNCATED("truncated NAR", nar -> Arrays.copyOf(nar, nar.length / 2)),
        NON_ZERO_PADDING("non-zero padding", nar -> {
            // The file root is 13 bytes: 3 bytes of padding, then the closing ")" token (16 bytes).
            nar[nar.length - 16 - 3] = 1;
            return nar;
        }),
        TRAILING_DATA("trailing data", nar -> Arrays.copyOf(nar, nar.length + 8)),
        OUT_OF_ORDER("out of order", nar -> {
            // The directory holds "b" and "d"; renaming "b" to "e" puts it after "d".
            nar[indexOfName(nar, 'b')] = 'e';
            return nar;
        });

        final String problem;
        final UnaryOperator<byte[]> corrupt;

        Corruption(String problem, UnaryOperator<byte[]> corrupt) {
            this.problem = problem;
            this.corrupt = corrupt;
        }
    }

    @ParameterizedTest
    @EnumSource(Corruption.class)
    void unpackOfACorruptNarFailsNamingTheProblemAndLeavesNothing(Corruption corruption) throws IOException {
        Path source = corruption == Corruption.OUT_OF_ORDER ? twoEntryDirectory() : TREES.get(Root.FILE_ROOT);
        ByteArrayOutputStream nixDump = new ByteArrayOutputStream();
        NIX.dump(source, nixDump);
        Path nar = Files.write(scratch.resolve("corrupt.nar"), corruption.corrupt.apply(nixDump.toByteArray()));
        Path parent = Files.createDirectory(scratch.resolve("parent"));
        Path destination = parent.resolve("unpacked");

        FerryCli.Result result = FerryCli.run(List.of("nar", "unpack", "--input", nar.toString(),
                destination.toString()), Optional.empty(), OutputStream.nullOutputStream());

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.stderr()).startsWith("ferry: malformed NAR at byte ").contains(corruption.problem)
                .doesNotContain("Exception", "\tat ");
        try (Stream<Path> left = Files.list(parent)) {
            assertThat(left).as("nothing left behind, not even a staging directory").isEmpty();
        }
    }

    @Test
    void unpackRefusesAnExistingDestination() throws IOException {
        Path destination = Files.createDirectory(scratch.resolve("exists"));

        FerryCli.Result result = FerryCli.run(List.of("nar", "unpack", "--input",
                NIX_DUMPS.get(Root.FILE_ROOT).toString(), destination.toString()), Optional.empty(),
                OutputStream.nullOutputStream());

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.stderr()).isEqualTo("ferry: " + destination
                + ": the unpack destination must not exist yet\n");
        try (Stream<Path> inside = Files.list(destination)) {
            assertThat(inside).isEmpty();
        }
    }

    @Test
    void unpackSaysWhenTheInputIsMissing() {
        Path missing = scratch.resolve("missing.nar");

        FerryCli.Result result = FerryCli.run(List.of("nar", "unpack", "--input", missing.toString(),
                scratch.resolve("unpacked").toString()), Optional.empty(), OutputStream.nullOutputStream());

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.stderr()).startsWith("ferry: ").contains(missing.toString(), "no such file");
        assertThat(scratch.resolve("unpacked")).doesNotExist();
    }

    private static void assertNixDumps(Path tree, Path expectedNar) {
        SameBytes again = SameBytes.as(expectedNar, "nix-store --dump of the original");
        NIX.dump(tree, again);
        again.assertSame("nix-store --dump of what ferry nar unpack wrote");
    }

    private Path twoEntryDirectory() throws IOException {
        Path tree = Files.createDirectory(scratch.resolve("two-entries"));
        Files.write(tree.resolve("b"), TestTrees.pattern(3, 1));
        Files.write(tree.resolve("d"), TestTrees.pattern(3, 2));
        return tree;
    }

    /** The offset of the one-byte entry name {@code name}: the token "name", then length 1, then the byte. */
    private static int indexOfName(byte[] nar, char name) {
        byte[] token = {4, 0, 0, 0, 0, 0, 0, 0, 'n', 'a', 'm', 'e', 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, (byte) name};
        for (int i = 0; i + token.length <= nar.length; i++) {
            if (Arrays.equals(nar, i, i + token.length, token, 0, token.length)) {
                return i + token.length - 1;
            }
        }
        throw new AssertionError("no entry named " + name);
    }
}
