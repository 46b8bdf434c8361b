package dev.ferry.nix;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ferry.nix.TestTrees.Root;
import dev.ferry.testkit.RequiresPrograms;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link NarUnpacker} on Nix's own NARs: what it unpacks, Nix dumps again to the very same bytes (and so does
 * {@link NarWriter}).
 */
@RequiresPrograms({"nix-store"})
class NarUnpackerIT {
    private static final NixCli NIX = new NixCli();

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(value = Root.class, mode = EnumSource.Mode.EXCLUDE, names = "SYMLINK_SPELLINGS")
    void unpacksNixsDumpSoThatNixDumpsItIdentically(Root root) throws IOException {
        assertRoundTrip(root);
    }

    /**
     * The JDK cannot create a symlink whose target has doubled or trailing slashes ({@code sub/},
     * {@code //etc//passwd}): {@code Path.of} normalises them, and the unpacked tree would dump to another NAR. So
     * {@code NarUnpacker} refuses such a NAR, naming the target, and leaves nothing behind.
     */
    @Test
    void refusesSymlinkTargetsItCannotCreateAsSpelled() throws IOException {
        Path original = Root.SYMLINK_SPELLINGS.create(Files.createDirectory(dir.resolve("original")));
        Path nixDump = NIX.dumpToFile(original, dir.resolve("nix.nar"));
        Path unpacked = dir.resolve("unpacked");
        try (InputStream in = Files.newInputStream(nixDump)) {
            assertThatThrownBy(() -> NarUnpacker.unpack(in, unpacked))
                    .isInstanceOf(NixFormatException.class).hasMessageContaining("cannot unpack symlink");
        }
        try (var leftovers = Files.list(dir)) {
            assertThat(leftovers.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("original", "nix.nar");
        }
    }

    private void assertRoundTrip(Root root) throws IOException {
        Path original = root.create(Files.createDirectory(dir.resolve("original")));
        Path nixDump = NIX.dumpToFile(original, dir.resolve("nix.nar"));
        Path unpacked = dir.resolve("unpacked");

        try (InputStream in = Files.newInputStream(nixDump)) {
            NarUnpacker.unpack(in, unpacked);
        }

        SameBytes nixAgain = SameBytes.as(nixDump, "nix-store --dump of the original");
        NIX.dump(unpacked, nixAgain);
        nixAgain.assertSame("nix-store --dump of what NarUnpacker unpacked");
        SameBytes ferryAgain = SameBytes.as(nixDump, "nix-store --dump of the original");
        NarWriter.write(unpacked, ferryAgain);
        ferryAgain.assertSame("NarWriter.write of what NarUnpacker unpacked");
        try (var leftovers = Files.list(dir)) {
            assertThat(leftovers.map(p -> p.getFileName().toString()))
                    .as("no staging directory is left next to the destination")
                    .containsExactlyInAnyOrder("original", "nix.nar", "unpacked");
        }
    }
}
