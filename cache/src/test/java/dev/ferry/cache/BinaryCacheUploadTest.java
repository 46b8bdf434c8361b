package dev.ferry.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ferry.nix.Hash;
import dev.ferry.nix.NarDigest;
import dev.ferry.nix.NarWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** {@link BinaryCache#uploadNar}: what is stored, and that a store whose record is wrong gets nothing stored. */
class BinaryCacheUploadTest {
    @TempDir
    Path dir;

    private Path tree;
    private LocalStorage storage;
    private BinaryCache cache;

    @BeforeEach
    void setUp() throws IOException {
        tree = Files.createDirectories(dir.resolve("tree/bin"));
        Files.writeString(tree.resolve("run"), "#!/bin/sh\necho hello\n".repeat(300));
        tree = tree.getParent();
        storage = new LocalStorage(dir.resolve("cache"));
        cache = new BinaryCache(storage);
    }

    @Test
    void aLargeNarIsToldInStepsAsItIsWrittenNotOnlyAtTheEnd() throws Exception {
        Path big = Files.createDirectories(dir.resolve("big"));
        Files.write(big.resolve("blob"), new byte[3 * 1024 * 1024 + 17]);
        NarDigest digest = NarWriter.hash(big);
        java.util.List<Long> steps = new java.util.ArrayList<>();
        cache.uploadNar(big, digest, Compression.ZSTD, steps::add);
        assertThat(steps.stream().mapToLong(Long::longValue).sum()).isEqualTo(digest.narSize());
        assertThat(steps).hasSizeGreaterThanOrEqualTo(4).allMatch(n -> n <= 1 << 20);
    }

    @ParameterizedTest
    @EnumSource(Compression.class)
    void theStoredNarDecompressesToTheNarOfThePath(Compression compression) throws Exception {
        NarDigest digest = NarWriter.hash(tree);
        java.util.List<Long> steps = new java.util.ArrayList<>();
        BinaryCache.UploadedNar uploaded = cache.uploadNar(tree, digest, compression, steps::add);

        assertThat(uploaded.nar()).isEqualTo(digest);
        // The progress of a ferry publish: every NAR byte told as it is written.
        assertThat(steps.stream().mapToLong(Long::longValue).sum()).isEqualTo(digest.narSize());
        assertThat(uploaded.url()).isEqualTo(BinaryCache.narKey(digest.narHash(), compression));
        byte[] file;
        try (StoredObject object = storage.open(uploaded.url()).orElseThrow()) {
            file = object.body().readAllBytes();
        }
        assertThat(uploaded.fileSize()).isEqualTo(file.length);
        assertThat(uploaded.fileHash()).isEqualTo(Hash.sha256(java.security.MessageDigest.getInstance("SHA-256").digest(file)));
        ByteArrayOutputStream nar = new ByteArrayOutputStream();
        NarWriter.write(tree, nar);
        assertThat(compression.decompress(new java.io.ByteArrayInputStream(file)).readAllBytes()).isEqualTo(nar.toByteArray());
    }

    @ParameterizedTest
    @EnumSource(Compression.class)
    void aRecordedSizeThatIsWrongEitherWayStoresNothing(Compression compression) throws IOException {
        NarDigest digest = NarWriter.hash(tree);
        for (long size : new long[] {digest.narSize() - 1, digest.narSize() + 1, 0}) {
            NarDigest recorded = new NarDigest(digest.narHash(), size);
            assertThatThrownBy(() -> cache.uploadNar(tree, recorded, compression, n -> { }))
                    .as("recorded size %d", size)
                    .isInstanceOf(CacheException.class)
                    .hasMessageContaining("the NAR of " + tree)
                    .hasMessageContaining(size + " bytes")
                    .hasMessageContaining("is the store corrupt?")
                    // The NAR's own digest is named beside the recorded one; a zstd upload instead stops at the
                    // size it pledged, when the NAR is longer.
                    .satisfies(e -> assertThat(e.getMessage()).containsAnyOf("is " + digest.narHash() + " ("
                            + digest.narSize() + " bytes) but the store recorded",
                            size < digest.narSize() && compression == Compression.ZSTD
                                    ? "is longer than the " + size : "(no other form)"));
            assertNothingStored();
        }
    }

    @ParameterizedTest
    @EnumSource(Compression.class)
    void aRecordedHashThatIsWrongStoresNothing(Compression compression) throws IOException {
        NarDigest digest = NarWriter.hash(tree);
        Hash other = Hash.sha256(new byte[32]);
        assertThatThrownBy(() -> cache.uploadNar(tree, new NarDigest(other, digest.narSize()), compression, n -> { }))
                .isInstanceOf(CacheException.class)
                .hasMessageContaining(digest.narHash().toString())
                .hasMessageContaining("is the store corrupt?");
        assertNothingStored();
    }

    private void assertNothingStored() throws IOException {
        try (Stream<Path> files = Files.walk(storage.root())) {
            assertThat(files.filter(Files::isRegularFile).toList()).as("files in the cache").isEmpty();
        }
    }
}
