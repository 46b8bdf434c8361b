package dev.ferry.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ferry.nix.Hash;
import dev.ferry.nix.NarInfo;
import dev.ferry.nix.SecretKey;
import dev.ferry.nix.StorePath;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link CacheGc} on fake trees in a directory cache. The collector's clock runs 30 days ahead, so everything the
 * test writes is old unless {@link #makeRecent} moves its last-modified time to the collector's "now".
 */
class CacheGcTest {
    private static final Duration GRACE = Duration.ofHours(24);

    @TempDir
    Path dir;

    private LocalStorage storage;
    private BinaryCache cache;
    private final Instant now = Instant.now().plus(Duration.ofDays(30));
    private final SecretKey key = SecretKey.generate("gc-test-1");

    @BeforeEach
    void setUp() {
        storage = new LocalStorage(dir.resolve("cache"));
        cache = new BinaryCache(storage);
    }

    private CacheGc gc() {
        return CacheGc.create(storage, Clock.fixed(now, ZoneOffset.UTC), 4);
    }

    private static CacheGc.Options keep(int generations) {
        return new CacheGc.Options(generations, GRACE);
    }

    /** Publishes {@code name} referencing {@code references} (already published), with a NAR of its own. */
    private StorePath publish(String name, StorePath... references) {
        return publish(name, ("nar of " + name).getBytes(StandardCharsets.UTF_8), references);
    }

    private StorePath publish(String name, byte[] nar, StorePath... references) {
        StorePath path = ManifestFixtures.storePath(name);
        Hash narHash = Hash.sha256(sha256(nar));
        String url = BinaryCache.narKey(narHash, Compression.NONE);
        storage.put(url, nar);
        TreeSet<StorePath> refs = new TreeSet<>(Arrays.asList(references));
        refs.add(path);
        cache.putNarInfo(new NarInfo(path, url, "none", Optional.of(narHash), OptionalLong.of(nar.length), narHash,
                nar.length, refs, Optional.empty(), Optional.empty(), new TreeSet<>(), Optional.empty()));
        return path;
    }

    private String narOf(StorePath path) {
        return cache.narInfo(path).orElseThrow().url();
    }

    /** Writes a generation deploying exactly {@code paths} as services. */
    private void deploy(StorePath... paths) {
        List<Manifest.Service> services = new ArrayList<>();
        for (StorePath path : paths) {
            services.add(ManifestFixtures.parseService(ManifestFixtures.service(path.name(), path)));
        }
        ManifestStore.create(storage).update(key, ManifestVerifier.trusting(List.of(key.publicKey())), "test",
                base -> new Manifest(base.version(), base.generation(), base.createdAt(), base.reason(), services,
                        List.of()));
    }

    private void makeRecent(String objectKey) throws IOException {
        Files.setLastModifiedTime(storage.root().resolve(objectKey), FileTime.from(now.minusSeconds(60)));
    }

    private List<String> keys() {
        return storage.list("");
    }

    @Test
    void keepsTheClosuresOfTheNewestGenerationsAndOfPinsAndDeletesTheRest() {
        StorePath oldLib = publish("old-lib");
        StorePath old = publish("old-app", oldLib);
        StorePath lib = publish("lib");
        StorePath app1 = publish("app-1", lib);
        StorePath lib2 = publish("lib-2", lib);
        StorePath app2 = publish("app-2", lib2);
        StorePath pinLib = publish("pin-lib");
        StorePath pinned = publish("pinned", pinLib);
        StorePath stray = publish("stray");
        deploy(old);
        deploy(app1);
        deploy(app2);
        CachePins.create(storage).pin(pinned);
        String oldNar = narOf(old);

        CacheGc.Plan plan = gc().plan(keep(2));

        assertThat(plan.generations()).containsExactly(3L, 2L);
        assertThat(plan.manifestPaths()).containsExactlyInAnyOrder(app1, app2);
        assertThat(plan.pinned()).containsExactly(pinned);
        assertThat(plan.recent()).isEmpty();
        assertThat(plan.kept()).containsExactlyInAnyOrder(app1, lib, app2, lib2, pinned, pinLib);
        assertThat(plan.narInfos()).extracting(r -> r.path().orElseThrow())
                .containsExactlyInAnyOrder(old, oldLib, stray);
        // old-app references old-lib: it goes in an earlier wave, so no narinfo ever points to a missing one.
        assertThat(waveOf(plan, old)).isLessThan(waveOf(plan, oldLib));
        assertThat(plan.nars()).extracting(ObjectInfo::key).contains(oldNar).hasSize(3);
        assertThat(plan.warnings()).isEmpty();
        long expectedBytes = plan.narInfos().stream().mapToLong(r -> r.object().size()).sum()
                + plan.nars().stream().mapToLong(ObjectInfo::size).sum();
        assertThat(plan.bytesFreed()).isEqualTo(expectedBytes).isPositive();

        CacheGc.Result result = gc().execute(plan);

        assertThat(result.narInfosDeleted()).isEqualTo(3);
        assertThat(result.narsDeleted()).isEqualTo(3);
        assertThat(result.bytesFreed()).isEqualTo(expectedBytes);
        assertThat(result.spared()).isZero();
        for (StorePath gone : List.of(old, oldLib, stray)) {
            assertThat(cache.hasNarInfo(gone)).as("%s", gone).isFalse();
        }
        for (StorePath stays : List.of(app1, lib, app2, lib2, pinned, pinLib)) {
            assertThat(cache.hasNarInfo(stays)).as("%s", stays).isTrue();
            assertThat(storage.exists(narOf(stays))).as("NAR of %s", stays).isTrue();
        }
        assertThat(storage.exists(oldNar)).isFalse();
        // Manifests, pins and nix-cache-info are never touched.
        assertThat(keys()).contains(ManifestStore.jsonKey(1), ManifestStore.LATEST_KEY, CachePins.key(pinned));
        PublishIT.assertCacheValid(storage);
        // A second run finds nothing to do.
        assertThat(gc().plan(keep(2)).isEmpty()).isTrue();
    }

    private static int waveOf(CacheGc.Plan plan, StorePath path) {
        for (int i = 0; i < plan.narInfoWaves().size(); i++) {
            if (plan.narInfoWaves().get(i).stream().anyMatch(r -> r.path().equals(Optional.of(path)))) {
                return i;
            }
        }
        throw new AssertionError(path + " is in no wave");
    }

    @Test
    void aPathPublishedWithinTheGracePeriodSurvivesWithItsWholeClosure() throws IOException {
        StorePath oldDependency = publish("old-dependency");
        StorePath fresh = publish("just-published", oldDependency);
        StorePath garbage = publish("garbage");
        makeRecent(BinaryCache.narInfoKey(fresh));
        deploy(garbage);
        deploy(publish("current"));

        CacheGc.Plan plan = gc().plan(keep(1));
        assertThat(plan.recent()).containsExactly(fresh);
        assertThat(plan.kept()).contains(fresh, oldDependency).doesNotContain(garbage);
        gc().execute(plan);

        assertThat(cache.hasNarInfo(fresh)).isTrue();
        assertThat(cache.hasNarInfo(oldDependency)).isTrue();
        assertThat(cache.hasNarInfo(garbage)).isFalse();
        PublishIT.assertCacheValid(storage);
    }

    @Test
    void nothingYoungerThanTheGracePeriodIsDeleted() throws IOException {
        StorePath unreferenced = publish("unreferenced");
        deploy(publish("current"));
        String nar = narOf(unreferenced);
        storage.put("nar/orphan.nar", new byte[] {1, 2, 3});
        storage.put("nar/young-orphan.nar", new byte[] {1});
        makeRecent("nar/young-orphan.nar");
        Files.write(storage.root().resolve("nar/.tmp-1.part"), new byte[] {9, 9});
        Files.write(storage.root().resolve("nar/.tmp-2.part"), new byte[] {9});
        makeRecent("nar/.tmp-2.part");

        CacheGc.Plan plan = gc().plan(keep(1));
        assertThat(plan.nars()).extracting(ObjectInfo::key).containsExactlyInAnyOrder(nar, "nar/orphan.nar");
        assertThat(plan.leftovers()).extracting(ObjectInfo::key).containsExactly("nar/.tmp-1.part");
        CacheGc.Result result = gc().execute(plan);

        assertThat(result.leftoversDeleted()).isEqualTo(1);
        assertThat(keys()).contains("nar/young-orphan.nar").doesNotContain("nar/orphan.nar", nar);
        assertThat(storage.root().resolve("nar/.tmp-1.part")).doesNotExist();
        assertThat(storage.root().resolve("nar/.tmp-2.part")).exists();

        // With no grace at all, the young ones go too.
        CacheGc zeroGrace = CacheGc.create(storage, Clock.fixed(now, ZoneOffset.UTC), 1);
        zeroGrace.execute(zeroGrace.plan(new CacheGc.Options(1, Duration.ZERO)));
        assertThat(keys()).doesNotContain("nar/young-orphan.nar");
        assertThat(storage.root().resolve("nar/.tmp-2.part")).doesNotExist();
    }

    @Test
    void aNarSharedByAKeptAndADeletedNarinfoStays() {
        byte[] sameContent = "identical NAR".getBytes(StandardCharsets.UTF_8);
        StorePath kept = publish("same-content-a", sameContent);
        StorePath deleted = publish("same-content-b", sameContent);
        assertThat(narOf(kept)).isEqualTo(narOf(deleted));
        deploy(kept);

        CacheGc.Plan plan = gc().plan(keep(1));
        assertThat(plan.narInfos()).extracting(r -> r.path().orElseThrow()).containsExactly(deleted);
        assertThat(plan.nars()).isEmpty();
        gc().execute(plan);
        assertThat(cache.hasNarInfo(deleted)).isFalse();
        assertThat(storage.exists(narOf(kept))).isTrue();
    }

    @Test
    void planningChangesNothing() throws IOException {
        publish("a", publish("b"));
        deploy(publish("c"));
        Files.write(storage.root().resolve(".tmp-3.part"), new byte[] {1});
        List<ObjectInfo> before = storage.listInfo("");

        CacheGc.Plan plan = gc().plan(keep(1));

        assertThat(plan.isEmpty()).isFalse();
        assertThat(storage.listInfo("")).isEqualTo(before);
        assertThat(storage.leftovers()).hasSize(1);
    }

    @Test
    void whatBecameLiveBetweenPlanAndExecutionIsSpared() {
        StorePath lib = publish("lib");
        StorePath later = publish("pinned-later", lib);
        StorePath rolledBackTo = publish("rolled-back-to");
        StorePath garbage = publish("garbage");
        deploy(publish("current"));

        CacheGc.Plan plan = gc().plan(keep(1));
        assertThat(plan.narInfos()).extracting(r -> r.path().orElseThrow())
                .containsExactlyInAnyOrder(lib, later, rolledBackTo, garbage);

        CachePins.create(storage).pin(later);
        deploy(rolledBackTo);
        CacheGc.Result result = gc().execute(plan);

        assertThat(result.narInfosDeleted()).isEqualTo(1);
        assertThat(result.spared()).isEqualTo(6); // 3 narinfos and their 3 NARs
        assertThat(cache.hasNarInfo(garbage)).isFalse();
        for (StorePath live : List.of(lib, later, rolledBackTo)) {
            assertThat(cache.hasNarInfo(live)).as("%s", live).isTrue();
        }
        PublishIT.assertCacheValid(storage);
    }

    @Test
    void aNarThatANarinfoWrittenAfterPlanningPointsToStays() throws IOException {
        deploy(publish("current"));
        byte[] content = "content of a later path".getBytes(StandardCharsets.UTF_8);
        Hash narHash = Hash.sha256(sha256(content));
        String orphan = BinaryCache.narKey(narHash, Compression.NONE);
        storage.put(orphan, content); // an orphan NAR, left by an interrupted publish

        CacheGc zeroGrace = CacheGc.create(storage, Clock.systemUTC(), 2);
        CacheGc.Options noGrace = new CacheGc.Options(1, Duration.ZERO);
        CacheGc.Plan plan = zeroGrace.plan(noGrace);
        assertThat(plan.nars()).extracting(ObjectInfo::key).containsExactly(orphan);

        // Before execution, a publish completes whose narinfo points to that NAR. With no grace period at all,
        // the second plan would delete the new narinfo, which the first plan did not know: it stays, and its NAR.
        StorePath later = publish("later", content);
        assertThat(narOf(later)).isEqualTo(orphan);
        Files.setLastModifiedTime(storage.root().resolve(BinaryCache.narInfoKey(later)),
                FileTime.from(Instant.now().minusSeconds(5)));
        zeroGrace.execute(plan);

        assertThat(cache.hasNarInfo(later)).isTrue();
        assertThat(storage.exists(orphan)).isTrue();
        PublishIT.assertCacheValid(storage);
    }

    @Test
    void theCacheIsValidAfterEveryDeletion() {
        // A chain a -> b -> c -> d and a fan d <- e, f, all garbage, plus a live closure that shares d.
        StorePath d = publish("d");
        StorePath c = publish("c", d);
        StorePath b = publish("b", c, d);
        publish("a", b, c);
        publish("e", d);
        publish("f", d, b);
        deploy(publish("live", d));
        List<String> checked = new ArrayList<>();
        Storage checking = new ForwardingStorage(storage) {
            @Override
            public void delete(String key) {
                super.delete(key);
                PublishIT.assertCacheValid(storage);
                checked.add(key);
            }
        };
        CacheGc gc = CacheGc.create(checking, Clock.fixed(now, ZoneOffset.UTC), 1);
        CacheGc.Result result = gc.execute(gc.plan(keep(1)));
        assertThat(result.narInfosDeleted()).isEqualTo(5);
        assertThat(checked).hasSize(10);
        assertThat(cache.hasNarInfo(d)).isTrue();
    }

    @Test
    void aCorruptNarinfoThatMustBeKeptStopsTheCollectionBeforeAnyDeletion() {
        StorePath lib = publish("lib");
        StorePath app = publish("app", lib);
        publish("garbage");
        deploy(app);
        storage.put(BinaryCache.narInfoKey(lib), "StorePath: nonsense\n".getBytes(StandardCharsets.UTF_8));
        List<String> before = keys();

        assertThatThrownBy(() -> gc().plan(keep(1))).isInstanceOf(CacheException.class)
                .hasMessageContaining(BinaryCache.narInfoKey(lib) + " is corrupt")
                .hasMessageContaining("it is kept (" + app.absolute() + " needs it)");
        assertThat(keys()).isEqualTo(before);
    }

    @Test
    void aCorruptNarinfoNobodyNeedsIsCollected() {
        deploy(publish("current"));
        StorePath broken = ManifestFixtures.storePath("broken");
        storage.put(BinaryCache.narInfoKey(broken), "not a narinfo".getBytes(StandardCharsets.UTF_8));

        CacheGc.Plan plan = gc().plan(keep(1));
        assertThat(plan.narInfos()).singleElement().satisfies(r -> {
            assertThat(r.object().key()).isEqualTo(BinaryCache.narInfoKey(broken));
            assertThat(r.path()).isEmpty();
        });
        gc().execute(plan);
        assertThat(storage.exists(BinaryCache.narInfoKey(broken))).isFalse();
    }

    @Test
    void rootsTheCacheLacksAreWarnedAboutNotFatal() {
        StorePath current = publish("current");
        deploy(current);
        StorePath vanished = publish("vanished");
        deploy(current, vanished);
        storage.delete(BinaryCache.narInfoKey(vanished)); // someone deleted it by hand

        CacheGc.Plan plan = gc().plan(keep(1));
        assertThat(plan.warnings()).singleElement().asString()
                .contains("generation 2 (service vanished)", vanished.toString(), "not in the cache");
        assertThat(plan.kept()).containsExactly(current);
    }

    @Test
    void abandonedGenerationsDoNotCountAndFewerGenerationsThanAskedIsFine() {
        StorePath first = publish("first");
        StorePath second = publish("second");
        deploy(first);
        storage.createIfAbsent(ManifestStore.signatureKey(2), "x:y".getBytes(StandardCharsets.UTF_8));
        storage.createIfAbsent(ManifestStore.jsonKey(2), ManifestStore.tombstone(2));
        deploy(second);

        assertThat(gc().plan(keep(2)).generations()).containsExactly(3L, 1L);
        assertThat(gc().plan(keep(50)).kept()).containsExactlyInAnyOrder(first, second);
        assertThat(gc().plan(keep(1)).kept()).containsExactly(second);
    }

    @Test
    void aCacheWithoutGenerationsIsCollectedOnlyOnPurpose() {
        StorePath pinned = publish("pinned");
        StorePath other = publish("other");
        CachePins.create(storage).pin(pinned);

        CacheGc.Plan plan = gc().plan(keep(10));
        assertThat(plan.generations()).isEmpty();
        assertThatThrownBy(() -> gc().execute(plan)).isInstanceOf(CacheException.class)
                .hasMessageContaining("has no manifest generation").hasMessageContaining("(1 now)");
        assertThat(cache.hasNarInfo(other)).isTrue();

        CacheGc.Plan onPurpose = gc().plan(new CacheGc.Options(10, GRACE, true));
        assertThat(gc().execute(onPurpose).narInfosDeleted()).isEqualTo(1);
        assertThat(cache.hasNarInfo(other)).isFalse();
        assertThat(cache.hasNarInfo(pinned)).isTrue();
    }

    @Test
    void optionsAreChecked() {
        assertThatThrownBy(() -> new CacheGc.Options(0, GRACE)).hasMessageContaining("at least 1");
        assertThatThrownBy(() -> new CacheGc.Options(1, Duration.ofSeconds(-1))).hasMessageContaining("negative");
        assertThat(CacheGc.Options.defaults()).isEqualTo(new CacheGc.Options(10, Duration.ofHours(24), false));
    }

    @Test
    void onlyTopLevelNarinfoKeysAreNarinfos() {
        assertThat(CacheGc.isNarInfoKey(ManifestFixtures.storePath("x").hashPart() + ".narinfo")).isTrue();
        assertThat(CacheGc.isNarInfoKey("sub/" + ManifestFixtures.storePath("x").hashPart() + ".narinfo")).isFalse();
        assertThat(CacheGc.isNarInfoKey("short.narinfo")).isFalse();
        assertThat(CacheGc.isNarInfoKey("nix-cache-info")).isFalse();
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
