package dev.ferry.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ferry.nix.SecretKey;
import dev.ferry.nix.StorePath;
import dev.ferry.process.ProcessException;
import dev.ferry.process.ProcessRunner;
import dev.ferry.testkit.RequiresPrograms;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Garbage collection of caches that real Nix built and substitutes from: closures built with {@code nix-build},
 * published by the {@link Publisher}, named in manifest generations and pins; after the collection every kept path
 * substitutes with {@code nix copy --from} into a fresh store with signatures checked, and every removed one is gone.
 * Once against a directory, once against S3 (s3proxy; Debian's Nix has no S3 support, so Nix reads a byte-for-byte
 * copy of the bucket in a directory).
 */
@RequiresPrograms({"nix", "nix-build", "nix-store"})
class CacheGcIT {
    /** Short, so the test can make objects old by waiting; every other object was written at least this long ago. */
    private static final Duration GRACE = Duration.ofSeconds(8);

    @TempDir
    Path dir;

    private final SecretKey key = SecretKey.generate("ferry-gc-test-1");
    private final LocalNixStore store = new LocalNixStore(ProcessRunner.local());

    @Test
    void directoryCache() {
        Path cacheDir = dir.resolve("cache");
        try (Storage storage = CacheUri.parse("file://" + cacheDir).open()) {
            collectAndSubstitute(storage, () -> cacheDir);
        }
    }

    @Test
    void s3Cache() throws Exception {
        try (S3ProxyServer server = S3ProxyServer.start()) {
            String bucket = "ferry-gc-" + UUID.randomUUID().toString().substring(0, 8);
            server.createBucket(bucket);
            try (Storage storage = S3Storage.create(CacheUri.parse("s3://" + bucket + "?endpoint=" + server.endpoint()),
                    S3ProxyServer.credentials(), 100)) {
                collectAndSubstitute(storage, () -> mirror(storage, dir.resolve("mirror-" + System.nanoTime())));
            }
        }
    }

    private void collectAndSubstitute(Storage storage, java.util.function.Supplier<Path> asDirectory) {
        String marker = UUID.randomUUID().toString();
        // old and current share their first paths (same marker, a longer chain); pinned and garbage share nothing.
        StorePath old = Nix.closure(dir, marker, 6, 0);
        StorePath current = Nix.closure(dir, marker, 8, 1);
        StorePath pinned = Nix.closure(dir, marker + "-pinned", 4, 0);
        StorePath garbage = Nix.closure(dir, marker + "-garbage", 5, 1);
        StorePath recent = Nix.closure(dir, marker + "-recent", 4, 0);
        Publisher publisher = new Publisher(new BinaryCache(storage), store, Compression.ZSTD, 3);
        assertThat(publisher.publish(List.of(old, current, pinned, garbage), key, Publisher.Listener.none()).ok())
                .isTrue();
        deploy(storage, "garbage", garbage);
        deploy(storage, "old", old);
        deploy(storage, "current", current);
        CachePins.create(storage).pin(pinned);
        sleep(GRACE.plusSeconds(2));
        // Published a moment ago, in no manifest yet: within the grace period.
        assertThat(publisher.publish(List.of(recent), key, Publisher.Listener.none()).ok()).isTrue();

        CacheGc gc = CacheGc.create(storage, Clock.systemUTC(), 4);
        CacheGc.Plan plan = gc.plan(new CacheGc.Options(2, GRACE));

        Set<StorePath> keep = closure(current, old, pinned, recent);
        Set<StorePath> remove = closure(garbage);
        remove.removeAll(keep);
        assertThat(plan.generations()).containsExactly(3L, 2L);
        assertThat(plan.recent()).containsExactlyInAnyOrderElementsOf(closure(recent));
        assertThat(plan.kept()).containsExactlyInAnyOrderElementsOf(keep);
        assertThat(plan.narInfos()).extracting(r -> r.path().orElseThrow()).containsExactlyInAnyOrderElementsOf(remove);
        assertThat(plan.nars()).hasSize(remove.size());
        assertThat(plan.warnings()).isEmpty();
        gc.execute(plan);
        PublishIT.assertCacheValid(storage);

        // Keep only the newest generation now: old's own paths go, the paths it shares with current stay.
        CacheGc.Plan second = gc.plan(new CacheGc.Options(1, GRACE));
        Set<StorePath> keepNow = closure(current, pinned, recent);
        Set<StorePath> oldOnly = closure(old);
        oldOnly.removeAll(keepNow);
        assertThat(oldOnly).isNotEmpty();
        assertThat(closure(old)).containsAnyElementsOf(keepNow);
        assertThat(second.narInfos()).extracting(r -> r.path().orElseThrow())
                .containsExactlyInAnyOrderElementsOf(oldOnly);
        CacheGc.Result result = gc.execute(second);
        assertThat(result.narInfosDeleted()).isEqualTo(oldOnly.size());
        assertThat(result.bytesFreed()).isPositive();
        PublishIT.assertCacheValid(storage);
        BinaryCache cache = new BinaryCache(storage);
        assertThat(storage.list("").stream().filter(CacheGc::isNarInfoKey).count()).isEqualTo(keepNow.size());
        assertThat(keepNow).allMatch(cache::hasNarInfo);

        Path cacheDir = asDirectory.get();
        for (StorePath root : List.of(current, pinned, recent)) {
            Path fresh = Nix.freshStore(dir);
            Nix.run("nix", "copy", "--from", "file://" + cacheDir, "--to", fresh.toString(), root.absolute(),
                    "--option", "trusted-public-keys", key.publicKey().render());
            Nix.run("nix", "store", "verify", "--store", fresh.toString(), "--recursive", "--sigs-needed", "1",
                    "--trusted-public-keys", key.publicKey().render(), root.absolute());
        }
        for (StorePath removed : List.of(old, garbage)) {
            assertThatThrownBy(() -> Nix.run("nix", "copy", "--from", "file://" + cacheDir, "--to",
                    Nix.freshStore(dir).toString(), removed.absolute(), "--option", "trusted-public-keys",
                    key.publicKey().render()))
                    .as("%s was collected", removed).isInstanceOf(ProcessException.class)
                    .hasMessageContaining("is required, but there is no substituter that can build it");
        }
    }

    private Set<StorePath> closure(StorePath... roots) {
        return store.closure(List.of(roots)).stream().map(PathInfo::path).collect(Collectors.toCollection(HashSet::new));
    }

    private void deploy(Storage storage, String name, StorePath path) {
        Manifest.Service service = ManifestFixtures.parseService(ManifestFixtures.service(name, path));
        ManifestStore.create(storage).update(key, ManifestVerifier.trusting(List.of(key.publicKey())), "deploy " + name,
                base -> new Manifest(base.version(), base.generation(), base.createdAt(), base.reason(),
                        List.of(service), List.of()));
    }

    /** Copies every object of {@code storage} into {@code target}, under its key. */
    private static Path mirror(Storage storage, Path target) {
        try {
            for (String key : storage.list("")) {
                Path file = target.resolve(key);
                Files.createDirectories(file.getParent());
                try (StoredObject object = storage.open(key).orElseThrow(); InputStream in = object.body()) {
                    Files.copy(in, file);
                }
            }
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
