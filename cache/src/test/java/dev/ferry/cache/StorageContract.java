package dev.ferry.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What every {@link Storage} must do, run against each implementation by a subclass ({@link LocalStorageTest},
 * {@link S3StorageIT}, {@link MinioStorageIT}). Each test gets a fresh, empty storage from {@link #storage()}.
 */
abstract class StorageContract {
    static final int MIB = 1024 * 1024;
    static final List<String> INVALID_KEYS = List.of("../x", "/x", "a//b", "a/./b", "", "a b", "a/", "x/..", "a\nb",
            "caf\u00e9", "x".repeat(ObjectKeys.MAX_LENGTH + 1));

    /** A fresh, empty storage for the current test; listing pages hold at most {@link #PAGE_SIZE} keys. */
    abstract Storage storage();

    /** Page size the subclass gives its storage, where it has pages. */
    static final int PAGE_SIZE = 10;

    /** Asserts that no half-written object is left behind (temporary files, incomplete multipart uploads). */
    abstract void assertNoIncompleteWrites();

    @Test
    void putThenOpenSizeAndExists() throws IOException {
        Storage storage = storage();
        byte[] content = "StorePath: /nix/store/x\n".getBytes(StandardCharsets.UTF_8);
        storage.put("abc.narinfo", content);

        assertThat(storage.exists("abc.narinfo")).isTrue();
        assertThat(storage.size("abc.narinfo")).contains((long) content.length);
        try (StoredObject object = storage.open("abc.narinfo").orElseThrow()) {
            assertThat(object.size()).isEqualTo(content.length);
            assertThat(object.body().readAllBytes()).isEqualTo(content);
        }
    }

    /** A part of an object: what the server sends for a {@code Range} (a NAR download that resumes). */
    @Test
    void openReadsExactlyThePartAsked() throws IOException {
        Storage storage = storage();
        byte[] content = new byte[MIB + 17];
        new java.util.Random(3).nextBytes(content);
        storage.put("nar/part.nar", content);

        for (long[] part : new long[][] {{0, content.length}, {1000, content.length - 1000}, {5, 10},
                {content.length - 1, 1}}) {
            try (StoredObject object = storage.open("nar/part.nar", part[0], part[1]).orElseThrow()) {
                assertThat(object.size()).isEqualTo(part[1]);
                assertThat(object.body().readAllBytes()).as("bytes %d+%d", part[0], part[1])
                        .isEqualTo(java.util.Arrays.copyOfRange(content, (int) part[0], (int) (part[0] + part[1])));
            }
        }
        assertThat(storage.open("nar/missing.nar", 0, 1)).isEmpty();
    }

    @Test
    void putReplacesAnExistingObject() throws IOException {
        Storage storage = storage();
        storage.put("nar/a.nar", new byte[] {1, 2, 3});
        storage.put("nar/a.nar", new byte[] {4, 5});
        assertThat(read(storage, "nar/a.nar")).containsExactly(4, 5);
        assertThat(storage.size("nar/a.nar")).contains(2L);
    }

    @Test
    void missingKeysAreEmptyNotErrors() {
        Storage storage = storage();
        assertThat(storage.open("nothing/here")).isEmpty();
        assertThat(storage.size("nothing/here")).isEmpty();
        assertThat(storage.exists("nothing/here")).isFalse();
        assertThat(storage.list("nothing/")).isEmpty();
    }

    @Test
    void deleteRemovesAndDeletingAMissingKeyIsFine() {
        Storage storage = storage();
        storage.put("a/b/c", new byte[] {1});
        storage.delete("a/b/c");
        assertThat(storage.exists("a/b/c")).isFalse();
        assertThat(storage.open("a/b/c")).isEmpty();
        storage.delete("a/b/c");
        storage.delete("never/was");
    }

    @Test
    void invalidKeysAreRefusedByEveryMethod() {
        Storage storage = storage();
        for (String key : INVALID_KEYS) {
            List<Consumer<String>> calls = List.of(
                    storage::size, storage::exists, storage::open, storage::delete,
                    k -> storage.put(k, new byte[] {1}),
                    k -> storage.createIfAbsent(k, new byte[] {1}),
                    k -> storage.write(k, 1, out -> out.write(1)));
            for (Consumer<String> call : calls) {
                assertThatThrownBy(() -> call.accept(key)).as("key '%s'", key).isInstanceOf(InvalidKeyException.class);
            }
        }
        for (String prefix : List.of("../", "/x", "a//", "a/./b", "../../etc/pass")) {
            assertThatThrownBy(() -> storage.list(prefix)).as("prefix '%s'", prefix)
                    .isInstanceOf(InvalidKeyException.class);
        }
        assertThat(storage.list("")).isEmpty();
    }

    @ParameterizedTest(name = "{0} bytes")
    @ValueSource(ints = {0, 1, 8 * MIB - 1, 8 * MIB, 8 * MIB + 1})
    void writeAroundThePartSizeStoresExactlyWhatWasWritten(int size) throws IOException {
        Storage storage = storage();
        long stored = storage.write("nar/edge.nar", size, out -> writeGenerated(out, size, size));
        assertThat(stored).isEqualTo(size);
        assertThat(storage.size("nar/edge.nar")).contains((long) size);
        assertThat(sha256Of(storage, "nar/edge.nar")).isEqualTo(hex(generatedSha256(size, size)));
    }

    @ParameterizedTest(name = "size hint {0}")
    @ValueSource(longs = {40L * MIB, -1})
    void largeStreamingWriteReadsBackIdentical(long sizeHint) throws IOException {
        Storage storage = storage();
        long size = 40L * MIB + 12_345;
        byte[][] sha = new byte[1][];
        long stored = storage.write("nar/large.nar.zst", sizeHint, out -> sha[0] = writeGenerated(out, size, 42));
        assertThat(stored).isEqualTo(size);
        assertThat(storage.size("nar/large.nar.zst")).contains(size);
        try (StoredObject object = storage.open("nar/large.nar.zst").orElseThrow()) {
            assertThat(object.size()).isEqualTo(size);
        }
        assertThat(sha256Of(storage, "nar/large.nar.zst")).isEqualTo(hex(sha[0]));
        assertNoIncompleteWrites();
    }

    @Test
    void writerThatClosesTheStreamStillStoresTheObject() throws IOException {
        // BinaryCache closes its compressor, which closes the storage's stream: that must not fail or complete early.
        Storage storage = storage();
        long size = 9L * MIB;
        byte[][] sha = new byte[1][];
        storage.write("nar/closed.nar", size, out -> {
            try (OutputStream wrapped = new java.io.BufferedOutputStream(out)) {
                sha[0] = writeGenerated(wrapped, size, 7);
            }
        });
        assertThat(sha256Of(storage, "nar/closed.nar")).isEqualTo(hex(sha[0]));
    }

    @ParameterizedTest(name = "after {0} bytes")
    @ValueSource(ints = {100, 20 * MIB})
    void writerThatThrowsLeavesNoObject(int before) {
        Storage storage = storage();
        assertThatThrownBy(() -> storage.write("nar/broken.nar", 40L * MIB, out -> {
            writeGenerated(out, before, 1);
            throw new IOException("the NAR writer gave up");
        })).isInstanceOf(CacheException.class).hasMessageContaining("nar/broken.nar")
                .hasStackTraceContaining("the NAR writer gave up");
        assertThat(storage.exists("nar/broken.nar")).isFalse();
        assertThat(storage.list("")).isEmpty();
        assertNoIncompleteWrites();
    }

    @Test
    void uncheckedExceptionFromTheWriterPropagatesUnchanged() {
        Storage storage = storage();
        CacheException mismatch = new CacheException("the NAR hash differs from the store's");
        assertThatThrownBy(() -> storage.write("nar/mismatch.nar", -1, out -> {
            writeGenerated(out, 17 * MIB, 3);
            throw mismatch;
        })).isSameAs(mismatch);
        assertThat(storage.exists("nar/mismatch.nar")).isFalse();
        assertNoIncompleteWrites();
    }

    @Test
    void failedWriteKeepsTheEarlierObject() throws IOException {
        Storage storage = storage();
        storage.put("nar/kept.nar", new byte[] {9, 9, 9});
        assertThatThrownBy(() -> storage.write("nar/kept.nar", -1, out -> {
            writeGenerated(out, 10 * MIB, 5);
            throw new IOException("interrupted build");
        })).isInstanceOf(CacheException.class);
        assertThat(read(storage, "nar/kept.nar")).containsExactly(9, 9, 9);
        assertNoIncompleteWrites();
    }

    @Test
    void createIfAbsentCreatesOnceAndKeepsTheFirstContent() throws IOException {
        Storage storage = storage();
        assertThat(storage.createIfAbsent("manifests/1", "first".getBytes(StandardCharsets.UTF_8))).isTrue();
        assertThat(storage.createIfAbsent("manifests/1", "second".getBytes(StandardCharsets.UTF_8))).isFalse();
        assertThat(new String(read(storage, "manifests/1"), StandardCharsets.UTF_8)).isEqualTo("first");
    }

    @Test
    void racingCreateIfAbsentHasExactlyOneWinnerWhoseContentStays() throws Exception {
        Storage storage = storage();
        int threads = 8;
        for (int round = 0; round < 3; round++) {
            String key = "manifests/race-" + round;
            CountDownLatch start = new CountDownLatch(1);
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                List<Future<Boolean>> results = new ArrayList<>();
                for (int i = 0; i < threads; i++) {
                    byte[] content = ("writer " + i).getBytes(StandardCharsets.UTF_8);
                    results.add(pool.submit(() -> {
                        start.await();
                        return storage.createIfAbsent(key, content);
                    }));
                }
                start.countDown();
                List<Integer> winners = new ArrayList<>();
                for (int i = 0; i < threads; i++) {
                    if (results.get(i).get()) {
                        winners.add(i);
                    }
                }
                assertThat(winners).as("round %d", round).hasSize(1);
                assertThat(new String(read(storage, key), StandardCharsets.UTF_8)).isEqualTo("writer " + winners.get(0));
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void listFiltersByPrefixAndSorts() {
        Storage storage = storage();
        for (String key : List.of("nix-cache-info", "nar/b.nar.zst", "nar/a.nar.zst", "narx", "zz.narinfo",
                "aa.narinfo", "nar/sub/c")) {
            storage.put(key, new byte[] {1});
        }
        assertThat(storage.list("")).containsExactly("aa.narinfo", "nar/a.nar.zst", "nar/b.nar.zst", "nar/sub/c",
                "narx", "nix-cache-info", "zz.narinfo");
        assertThat(storage.list("nar/")).containsExactly("nar/a.nar.zst", "nar/b.nar.zst", "nar/sub/c");
        assertThat(storage.list("nar")).containsExactly("nar/a.nar.zst", "nar/b.nar.zst", "nar/sub/c", "narx");
        assertThat(storage.list("nar/a")).containsExactly("nar/a.nar.zst");
        assertThat(storage.list("nar/sub/")).containsExactly("nar/sub/c");
        assertThat(storage.list("q")).isEmpty();
    }

    @Test
    void listReturnsMoreKeysThanOnePage() {
        Storage storage = storage();
        int count = 4 * PAGE_SIZE + 3;
        IntStream.range(0, count).parallel().forEach(i -> storage.put("many/" + (count - i) + ".narinfo", new byte[] {1}));
        storage.put("other", new byte[] {1});
        List<String> expected = IntStream.rangeClosed(1, count).mapToObj(i -> "many/" + i + ".narinfo").sorted()
                .toList();
        assertThat(storage.list("many/")).containsExactlyElementsOf(expected);
        assertThat(storage.list("")).hasSize(count + 1);
    }

    @Test
    void listInfoGivesSizeAndLastModifiedOfEachObject() throws Exception {
        Storage storage = storage();
        // S3 keeps LastModified in whole seconds; allow that much either side of the write.
        java.time.Instant before = java.time.Instant.now().minusSeconds(2);
        storage.put("b.narinfo", new byte[] {1, 2, 3});
        storage.write("nar/x.nar.zst", 5, out -> out.write(new byte[] {1, 2, 3, 4, 5}));
        storage.createIfAbsent("pins/p", new byte[] {7});
        storage.put("a.narinfo", new byte[0]);
        java.time.Instant after = java.time.Instant.now().plusSeconds(2);

        List<ObjectInfo> all = storage.listInfo("");
        assertThat(all).extracting(ObjectInfo::key).containsExactly("a.narinfo", "b.narinfo", "nar/x.nar.zst", "pins/p");
        assertThat(all).extracting(ObjectInfo::size).containsExactly(0L, 3L, 5L, 1L);
        assertThat(all).allSatisfy(o -> assertThat(o.lastModified()).isBetween(before, after));
        assertThat(storage.listInfo("nar/")).extracting(ObjectInfo::key).containsExactly("nar/x.nar.zst");
        assertThat(storage.list("")).containsExactlyElementsOf(all.stream().map(ObjectInfo::key).toList());
        assertThat(storage.listInfo("nothing/")).isEmpty();
        assertThat(storage.leftovers()).as("no write was interrupted").isEmpty();

        storage.delete("b.narinfo");
        assertThat(storage.listInfo("")).extracting(ObjectInfo::key).containsExactly("a.narinfo", "nar/x.nar.zst", "pins/p");
    }

    @Test
    void listInfoTimesFollowRewrites() throws Exception {
        Storage storage = storage();
        storage.put("old", new byte[] {1});
        java.time.Instant first = storage.listInfo("old").getFirst().lastModified();
        Thread.sleep(1_100); // S3's LastModified has whole seconds
        storage.put("old", new byte[] {1, 2});
        ObjectInfo rewritten = storage.listInfo("old").getFirst();
        assertThat(rewritten.lastModified()).isAfter(first);
        assertThat(rewritten.size()).isEqualTo(2);
    }

    // --- helpers ---

    static byte[] read(Storage storage, String key) throws IOException {
        try (StoredObject object = storage.open(key).orElseThrow()) {
            return object.body().readAllBytes();
        }
    }

    static String sha256Of(Storage storage, String key) throws IOException {
        MessageDigest digest = sha256();
        try (StoredObject object = storage.open(key).orElseThrow()) {
            InputStream in = object.body();
            byte[] buffer = new byte[64 * 1024];
            for (int n; (n = in.read(buffer)) >= 0; ) {
                digest.update(buffer, 0, n);
            }
        }
        return hex(digest.digest());
    }

    /**
     * Writes {@code size} pseudo-random bytes of seed {@code seed} in uneven chunks (and a few single bytes), as a
     * compressor would, and returns their SHA-256.
     */
    static byte[] writeGenerated(OutputStream out, long size, long seed) throws IOException {
        MessageDigest digest = sha256();
        SplittableRandom random = new SplittableRandom(seed);
        byte[] chunk = new byte[100_003];
        long left = size;
        boolean single = true;
        while (left > 0) {
            int n = (int) Math.min(left, single ? 1 : chunk.length);
            fill(random, chunk, n);
            if (n == 1) {
                out.write(chunk[0]);
            } else {
                out.write(chunk, 0, n);
            }
            digest.update(chunk, 0, n);
            left -= n;
            single = !single && random.nextInt(8) == 0;
        }
        return digest.digest();
    }

    static byte[] generatedSha256(long size, long seed) throws IOException {
        return writeGenerated(OutputStream.nullOutputStream(), size, seed);
    }

    private static void fill(SplittableRandom random, byte[] chunk, int n) {
        for (int i = 0; i < n; i += 8) {
            long v = random.nextLong();
            for (int j = 0; j < 8 && i + j < n; j++) {
                chunk[i + j] = (byte) (v >>> (8 * j));
            }
        }
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }
}
