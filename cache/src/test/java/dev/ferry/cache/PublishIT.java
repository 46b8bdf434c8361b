package dev.ferry.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ferry.nix.NarInfo;
import dev.ferry.nix.SecretKey;
import dev.ferry.nix.StorePath;
import dev.ferry.process.ProcessException;
import dev.ferry.process.ProcessRunner;
import dev.ferry.testkit.RequiresPrograms;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Publishing real closures and substituting them back with real Nix. */
@RequiresPrograms({"nix", "nix-build", "nix-store"})
class PublishIT {
    @TempDir
    Path dir;

    private final SecretKey key = SecretKey.generate("ferry-test-1");
    private final LocalNixStore store = new LocalNixStore(ProcessRunner.local());

    private Publisher publisher(Storage storage, Compression compression) {
        return new Publisher(new BinaryCache(storage), store, compression, 3);
    }

    @Test
    void publishedClosureSubstitutesAndVerifiesWithRealNix() throws Exception {
        StorePath root = Nix.closure(dir, UUID.randomUUID().toString(), 8, 3);
        Path cacheDir = dir.resolve("cache");
        Storage storage = CacheUri.parse("file://" + cacheDir).open();

        Publisher.Summary summary = publisher(storage, Compression.ZSTD).publish(List.of(root), key, Publisher.Listener.none());

        List<PathInfo> closure = store.closure(List.of(root));
        assertThat(summary.ok()).isTrue();
        assertThat(summary.published()).isEqualTo(closure.size()).isGreaterThanOrEqualTo(8);
        assertThat(summary.narBytes()).isEqualTo(closure.stream().mapToLong(p -> p.nar().narSize()).sum());
        assertThat(Files.readString(cacheDir.resolve("nix-cache-info"))).contains("StoreDir: /nix/store");

        Path fresh = Nix.freshStore(dir);
        Nix.run("nix", "copy", "--from", "file://" + cacheDir, "--to", fresh.toString(), root.absolute(),
                "--option", "trusted-public-keys", key.publicKey().render());
        Nix.run("nix", "store", "verify", "--store", fresh.toString(), "--recursive", "--sigs-needed", "1",
                "--trusted-public-keys", key.publicKey().render(), root.absolute());

        // The same bytes under another key are refused: signatures really are checked.
        String stranger = SecretKey.generate("stranger-1").publicKey().render();
        assertThatThrownBy(() -> Nix.run("nix", "copy", "--from", "file://" + cacheDir, "--to",
                Nix.freshStore(dir).toString(), root.absolute(), "--option", "trusted-public-keys", stranger))
                .isInstanceOf(ProcessException.class).hasMessageContaining("lacks a valid signature");
    }

    @Test
    void signaturesEqualThoseNixWritesForTheSameKey() throws Exception {
        StorePath root = Nix.closure(dir, UUID.randomUUID().toString(), 4, 0);
        Path keyFile = Files.writeString(dir.resolve("key.sec"), key.render());
        Path ours = dir.resolve("ours");
        Path theirs = dir.resolve("theirs");
        publisher(CacheUri.parse("file://" + ours).open(), Compression.XZ).publish(List.of(root), key, Publisher.Listener.none());
        Nix.run("nix", "copy", "--to", "file://" + theirs + "?secret-key=" + keyFile, root.absolute());

        for (PathInfo info : store.closure(List.of(root))) {
            String name = info.path().hashPart() + ".narinfo";
            NarInfo mine = NarInfo.parse(Files.readString(ours.resolve(name)));
            NarInfo nix = NarInfo.parse(Files.readString(theirs.resolve(name)));
            assertThat(mine.signatures()).isEqualTo(nix.signatures());
            assertThat(mine.narHash()).isEqualTo(nix.narHash());
            assertThat(mine.narSize()).isEqualTo(nix.narSize());
            assertThat(mine.references()).isEqualTo(nix.references());
            assertThat(mine.deriver()).isEqualTo(nix.deriver());
            assertThat(mine.compression()).isEqualTo("xz");
        }
    }

    @Test
    void publishingAgainUploadsNothing() {
        StorePath root = Nix.closure(dir, UUID.randomUUID().toString(), 5, 0);
        Storage storage = CacheUri.parse("file://" + dir.resolve("cache")).open();
        Publisher.Summary first = publisher(storage, Compression.ZSTD).publish(List.of(root), key, Publisher.Listener.none());
        Publisher.Plan plan = publisher(storage, Compression.ZSTD).plan(List.of(root));
        assertThat(plan.toUpload()).isEmpty();
        assertThat(plan.present()).hasSize(first.published());
    }

    @Test
    void aCrashMidwayLeavesAValidCacheAndARetryCompletesIt() throws Exception {
        StorePath root = Nix.closure(dir, UUID.randomUUID().toString(), 12, 1);
        Path cacheDir = dir.resolve("cache");
        Storage real = CacheUri.parse("file://" + cacheDir).open();
        // Storage that dies after a handful of writes, as a killed process or a lost network would.
        Storage failing = new FailingStorage(real, 15); // 12 NARs, then 3 narinfos
        Publisher.Summary partial = publisher(failing, Compression.ZSTD).publish(List.of(root), key, Publisher.Listener.none());
        assertThat(partial.ok()).isFalse();

        List<String> narInfos = real.list("").stream().filter(k -> k.endsWith(".narinfo")).toList();
        assertThat(narInfos).isNotEmpty();
        assertCacheValid(real);
        // Every path the cache claims to have substitutes, with its whole closure.
        BinaryCache cache = new BinaryCache(real);
        for (String key : narInfos) {
            StorePath path = cache.narInfo(StorePath.parseBaseName(key.replace(".narinfo", "") + "-x"))
                    .map(NarInfo::storePath).orElseThrow();
            Nix.run("nix", "copy", "--from", "file://" + cacheDir, "--to", Nix.freshStore(dir).toString(),
                    path.absolute(), "--option", "trusted-public-keys", key().publicKey().render());
        }

        Publisher.Summary retry = publisher(real, Compression.ZSTD).publish(List.of(root), key, Publisher.Listener.none());
        assertThat(retry.ok()).isTrue();
        assertThat(retry.present()).isEqualTo(narInfos.size());
        Nix.run("nix", "copy", "--from", "file://" + cacheDir, "--to", Nix.freshStore(dir).toString(),
                root.absolute(), "--option", "trusted-public-keys", key.publicKey().render());
    }

    @Test
    void concurrentPublishersOfOverlappingClosuresBothSucceed() {
        String marker = UUID.randomUUID().toString();
        StorePath small = Nix.closure(dir, marker, 6, 0);
        StorePath large = Nix.closure(dir, marker, 10, 2); // shares p0..p3 with the small one
        Storage storage = CacheUri.parse("file://" + dir.resolve("cache")).open();
        CompletableFuture<Publisher.Summary> a = CompletableFuture.supplyAsync(() ->
                publisher(storage, Compression.ZSTD).publish(List.of(small), key, Publisher.Listener.none()));
        CompletableFuture<Publisher.Summary> b = CompletableFuture.supplyAsync(() ->
                publisher(storage, Compression.ZSTD).publish(List.of(large), key, Publisher.Listener.none()));
        assertThat(a.join().ok()).isTrue();
        assertThat(b.join().ok()).isTrue();
        assertCacheValid(storage);
        Set<StorePath> all = store.closure(List.of(small, large)).stream().map(PathInfo::path).collect(Collectors.toSet());
        BinaryCache cache = new BinaryCache(storage);
        assertThat(all).allMatch(cache::hasNarInfo);
    }

    private SecretKey key() {
        return key;
    }

    /** The closure invariant: every narinfo's NAR and every reference's narinfo exist. */
    static void assertCacheValid(Storage storage) {
        BinaryCache cache = new BinaryCache(storage);
        for (String key : storage.list("")) {
            if (!key.endsWith(".narinfo")) {
                continue;
            }
            NarInfo info;
            try (StoredObject object = storage.open(key).orElseThrow()) {
                info = NarInfo.parse(new String(object.body().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            assertThat(storage.size(info.url())).as("NAR of %s", key).contains(info.fileSize().orElseThrow());
            for (StorePath reference : info.references()) {
                assertThat(cache.hasNarInfo(reference)).as("%s references %s", key, reference).isTrue();
            }
        }
    }
}
