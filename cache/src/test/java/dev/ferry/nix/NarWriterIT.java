package dev.ferry.nix;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ferry.nix.TestTrees.Root;
import dev.ferry.process.Command;
import dev.ferry.process.ProcessException;
import dev.ferry.process.ProcessRunner;
import dev.ferry.testkit.RequiresPrograms;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** {@link NarWriter} against {@code nix-store --dump}, {@code nix hash path} and {@code nix path-info}. */
@RequiresPrograms({"nix", "nix-store"})
class NarWriterIT {
    private static final NixCli NIX = new NixCli();
    private static final Map<Root, Path> TREES = new EnumMap<>(Root.class);
    private static final Map<Root, Path> NIX_DUMPS = new EnumMap<>(Root.class);

    @TempDir
    static Path dir;

    @BeforeAll
    static void generateTreesAndLetNixDumpThem() throws IOException {
        Path trees = Files.createDirectory(dir.resolve("trees"));
        Path dumps = Files.createDirectory(dir.resolve("dumps"));
        for (Root root : Root.values()) {
            Path tree = root.create(trees);
            TREES.put(root, tree);
            NIX_DUMPS.put(root, NIX.dumpToFile(tree, dumps.resolve(root + ".nar")));
        }
    }

    @ParameterizedTest
    @EnumSource(Root.class)
    void writesTheBytesNixStoreDumpWrites(Root root) {
        Path nixDump = NIX_DUMPS.get(root);
        SameBytes out = SameBytes.as(nixDump, "nix-store --dump");

        NarDigest digest = NarWriter.write(TREES.get(root), out);

        out.assertSame("NarWriter.write of " + root);
        assertThat(digest).as("the digest NarWriter.write returns").isEqualTo(SameBytes.digestOf(nixDump));
    }

    @ParameterizedTest
    @EnumSource(Root.class)
    void hashesAsNixHashPath(Root root) throws IOException {
        NarDigest digest = NarWriter.hash(TREES.get(root));

        assertThat(digest.narHash()).isEqualTo(NIX.hashPath(TREES.get(root)));
        assertThat(digest.narSize()).isEqualTo(Files.size(NIX_DUMPS.get(root)));
    }

    @Test
    void hashesAnAddedStorePathAsNixPathInfoReportsIt() {
        Path tree = TREES.get(Root.FULL_TREE);
        StorePath added = NIX.add(tree);

        NixCli.PathInfo info = NIX.pathInfo(added);

        assertThat(NarWriter.hash(tree)).isEqualTo(new NarDigest(info.narHash(), info.narSize()));
        assertThat(NarWriter.hash(Path.of(added.absolute())))
                .as("the store copy, with Nix's normalised modes and times")
                .isEqualTo(new NarDigest(info.narHash(), info.narSize()));
    }

    @Test
    void refusesWhatNixRefusesToo(@TempDir Path scratch) {
        Path fifo = scratch.resolve("fifo");
        ProcessRunner.local().run(Command.of("mkfifo", fifo.toString()));

        assertThatThrownBy(() -> NIX.dump(fifo, java.io.OutputStream.nullOutputStream()))
                .isInstanceOf(ProcessException.class);
        assertThatThrownBy(() -> NarWriter.hash(fifo))
                .isInstanceOf(NixFormatException.class)
                .hasMessageContaining("socket, FIFO or device");
    }

    /**
     * Nix dumps names and symlink targets that are not UTF-8 as raw bytes; the JVM cannot read such bytes faithfully,
     * so Ferry must refuse them rather than write a different NAR. (A genuine U+FFFD is fine: see
     * {@link TestTrees#ODD_NAMES}.)
     */
    @ParameterizedTest
    @EnumSource(NotUtf8.class)
    void refusesWhatIsNotUtf8InsteadOfDivergingFromNix(NotUtf8 where, @TempDir Path scratch) throws IOException {
        Path tree = Files.createDirectory(scratch.resolve("tree"));
        // "caf\351" is Latin-1 "café": byte 0xe9 alone is not UTF-8.
        ProcessRunner.local().run(Command.of("/bin/sh", "-c", where.script).directory(tree));
        assertThat(NIX.hashPath(tree)).as("nix accepts it").isNotNull();

        assertThatThrownBy(() -> NarWriter.hash(tree))
                .isInstanceOf(NixFormatException.class)
                .hasMessageContaining(where.problem);
    }

    enum NotUtf8 {
        NAME("printf x > \"$(printf 'caf\\351')\"", "its name is not valid UTF-8"),
        SYMLINK_TARGET("ln -s \"$(printf 'caf\\351')\" link", "its target is not valid UTF-8");

        final String script;
        final String problem;

        NotUtf8(String script, String problem) {
            this.script = script;
            this.problem = problem;
        }
    }
}
