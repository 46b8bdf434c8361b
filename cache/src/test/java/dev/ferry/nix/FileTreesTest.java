package dev.ferry.nix;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileTreesTest {
    @TempDir
    Path temp;

    @Test
    void deletesATreeWithoutFollowingItsLinks() throws Exception {
        Path outside = Files.writeString(temp.resolve("outside"), "keep");
        Path outsideDir = Files.createDirectories(temp.resolve("outside-dir"));
        Files.writeString(outsideDir.resolve("f"), "keep");
        Path top = Files.createDirectories(temp.resolve("top/a/b"));
        Files.writeString(top.resolve("file"), "x");
        Files.createSymbolicLink(temp.resolve("top/link"), outside);
        Files.createSymbolicLink(temp.resolve("top/a/dirlink"), outsideDir);

        FileTrees.delete(temp.resolve("top"));

        assertThat(Files.exists(temp.resolve("top"), LinkOption.NOFOLLOW_LINKS)).isFalse();
        assertThat(Files.readString(outside)).isEqualTo("keep");
        assertThat(Files.readString(outsideDir.resolve("f"))).isEqualTo("keep");
        FileTrees.delete(temp.resolve("top")); // missing: nothing to do
        FileTrees.delete(temp.resolve("outside")); // a plain file
        assertThat(Files.exists(outside)).isFalse();
    }

    /**
     * A tree Nix made read-only. Root deletes in read-only directories anyway (CI runs as root), so this can only fail
     * for another user: skipped under root, and not counted as coverage there.
     */
    @Test
    void deletesAReadOnlyTree() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeFalse("root".equals(System.getProperty("user.name")),
                "root ignores directory permissions");
        Path top = Files.createDirectories(temp.resolve("ro/a/b"));
        Files.writeString(top.resolve("file"), "x");
        for (Path dir : new Path[] {top, top.getParent(), temp.resolve("ro")}) {
            assertThat(dir.toFile().setWritable(false, false)).isTrue(); // as in a store path
        }
        FileTrees.delete(temp.resolve("ro"));
        assertThat(Files.exists(temp.resolve("ro"), LinkOption.NOFOLLOW_LINKS)).isFalse();
    }
}
