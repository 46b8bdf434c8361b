package dev.ferry.nix;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.testkit.RequiresPrograms;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every narinfo Nix writes parses with {@link NarInfo#parse}, renders back byte for byte, and says what Nix says of
 * the path: caches of every compression Nix 2.8 offers, unsigned, signed once and signed twice, holding paths of
 * every kind in {@link TestStorePaths}.
 */
@RequiresPrograms({"nix", "nix-store", "nix-build"})
class NarInfoIT {
    private static final NixCli NIX = new NixCli();

    @TempDir
    static Path dir;

    private static final Map<Cache, Path> CACHES = new EnumMap<>(Cache.class);

    /** The binary caches Nix writes for these tests. */
    enum Cache {
        UNSIGNED("none", false, false),
        SIGNED_ONCE("none", true, false),
        SIGNED_TWICE("none", true, true),
        XZ("xz", true, false),
        ZSTD("zstd", true, false),
        BZIP2("bzip2", true, false);

        final String compression;
        final boolean signed;
        final boolean signedAgain;

        Cache(String compression, boolean signed, boolean signedAgain) {
            this.compression = compression;
            this.signed = signed;
            this.signedAgain = signedAgain;
        }
    }

    @BeforeAll
    static void nixWritesCaches() throws IOException {
        TestStorePaths paths = TestStorePaths.create(NIX, Files.createDirectory(dir.resolve("paths")));
        Path key1 = dir.resolve("nix-1.sec");
        Path key2 = dir.resolve("nix-2.sec");
        NIX.generateKey("nix-it-1", key1, dir.resolve("nix-1.pub"));
        NIX.generateKey("nix-it-2", key2, dir.resolve("nix-2.pub"));
        for (Cache cache : Cache.values()) {
            Path cacheDir = dir.resolve(cache.name().toLowerCase());
            String url = cache.signed
                    ? NixCli.fileCache(cacheDir, cache.compression, key1)
                    : "file://" + cacheDir + "?compression=" + cache.compression;
            NIX.copyTo(url, paths.all());
            if (cache.signedAgain) {
                NIX.sign("file://" + cacheDir, key2, paths.all());
            }
            CACHES.put(cache, cacheDir);
        }
    }

    @ParameterizedTest
    @EnumSource(Cache.class)
    void rendersEveryNarInfoNixWroteByteForByte(Cache cache) throws IOException {
        var files = NixCli.narInfoFiles(CACHES.get(cache));
        assertThat(files).as("a, b, c, the tree, the flat file, and c.drv with the .drv files it needs")
                .hasSizeGreaterThanOrEqualTo(8);

        for (Path file : files) {
            String text = Files.readString(file);
            assertThat(NarInfo.parse(text).render()).as(file.toString()).isEqualTo(text);
        }
    }

    @ParameterizedTest
    @EnumSource(Cache.class)
    void saysWhatNixSaysOfEachPath(Cache cache) throws IOException {
        Path cacheDir = CACHES.get(cache);
        for (Path file : NixCli.narInfoFiles(cacheDir)) {
            NarInfo info = NarInfo.parse(Files.readString(file));
            NixCli.PathInfo nix = NIX.pathInfo(info.storePath());
            Path nar = cacheDir.resolve(info.url());

            assertThat(file.getFileName().toString()).isEqualTo(info.storePath().hashPart() + ".narinfo");
            assertThat(info.narHash()).as("NarHash of " + file).isEqualTo(nix.narHash());
            assertThat(info.narSize()).as("NarSize of " + file).isEqualTo(nix.narSize());
            assertThat(info.references()).as("References of " + file).containsExactlyInAnyOrderElementsOf(nix.references());
            assertThat(info.compression()).isEqualTo(cache.compression);
            assertThat(info.fileHash()).as("FileHash of " + file).contains(SameBytes.digestOf(nar).narHash());
            assertThat(info.fileSize()).as("FileSize of " + file).isEqualTo(OptionalLong.of(Files.size(nar)));
            assertThat(info.signatures()).hasSize(cache.signedAgain ? 2 : cache.signed ? 1 : 0);
        }
    }
}
