package dev.ferry.cache;

import static dev.ferry.cache.ManifestFixtures.parseService;
import static dev.ferry.cache.ManifestFixtures.publish;
import static dev.ferry.cache.ManifestFixtures.service;
import static dev.ferry.cache.ManifestFixtures.storePath;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ferry.nix.SecretKey;
import dev.ferry.nix.StorePath;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.LongStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Generations in a directory cache: numbering, signatures, rollback, the cache check and concurrent writers. */
class ManifestStoreTest {
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-23T12:00:00Z"), ZoneOffset.UTC);

    @TempDir
    Path dir;

    private Storage storage;
    private BinaryCache cache;
    private SecretKey key;
    private ManifestVerifier trusted;
    private ManifestStore store;

    @BeforeEach
    void setUp() {
        storage = CacheUri.parse("file://" + dir).open();
        cache = new BinaryCache(storage);
        key = SecretKey.generate("cache-1");
        trusted = ManifestVerifier.trusting(List.of(key.publicKey()));
        store = ManifestStore.create(storage, CLOCK, Duration.ofMillis(300), 20);
    }

    private Manifest.Service published(String name) {
        StorePath path = storePath(name);
        publish(cache, path);
        return parseService(service(name, path));
    }

    private ManifestStore.Update add(Manifest.Service service) {
        return store.update(key, trusted, "add " + service.name(), m -> m.withService(service));
    }

    private byte[] bytes(String key) {
        try {
            return Files.readAllBytes(dir.resolve(key));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void firstWriteIsGeneration1WithSignatureAndLatestCopy() {
        ManifestStore.Update update = add(published("web"));
        assertThat(update.written()).isTrue();
        assertThat(update.generation().generation()).isEqualTo(1);
        assertThat(update.generation().manifest().createdAt()).isEqualTo(CLOCK.instant());
        assertThat(update.generation().manifest().reason()).isEqualTo("add web");
        assertThat(storage.list("")).contains("manifest.json", "manifest.json.sig", "manifests/manifest-1.json",
                "manifests/manifest-1.json.sig");
        assertThat(bytes("manifests/manifest-1.json")).isEqualTo(update.generation().jsonBytes())
                .isEqualTo(bytes("manifest.json")).isEqualTo(update.generation().manifest().toJson());
        assertThat(new String(bytes("manifests/manifest-1.json.sig"), StandardCharsets.US_ASCII))
                .startsWith("cache-1:").isEqualTo(new String(bytes("manifest.json.sig"), StandardCharsets.US_ASCII));
        assertThat(trusted.verify(store.read(1).orElseThrow())).isEqualTo(key.publicKey());
    }

    @Test
    void generationsCountUpByOneAndTheNewestIsFound() {
        add(published("a"));
        add(published("b"));
        add(published("c"));
        assertThat(store.generationNumbers()).containsExactly(1L, 2L, 3L);
        assertThat(store.top()).isEqualTo(3);
        ManifestGeneration newest = store.newest(trusted).orElseThrow();
        assertThat(newest.generation()).isEqualTo(3);
        assertThat(newest.manifest().services()).extracting(Manifest.Service::name).containsExactly("a", "b", "c");
        assertThat(store.read(2, trusted).orElseThrow().manifest().services()).hasSize(2);
        assertThat(store.read(4)).isEmpty();
    }

    @Test
    void aStorageThatClaimsEveryGenerationExistsIsRefusedNotProbedForever() {
        add(published("a"));
        ManifestStore lying = ManifestStore.create(new ForwardingStorage(storage) {
            @Override
            public boolean exists(String key) {
                return key.startsWith(ManifestStore.GENERATION_PREFIX) || super.exists(key);
            }
        });
        assertThatThrownBy(lying::top).isInstanceOf(ManifestException.class)
                .hasMessageContaining("claims more than 10000 generations after 1 exist")
                .hasMessageEndingWith("it is not a Ferry cache, or it answers every request with success");
        assertThatThrownBy(() -> lying.newest(trusted)).isInstanceOf(ManifestException.class);
    }

    @Test
    void anEmptyCacheHasNoGeneration() {
        assertThat(store.newest()).isEmpty();
        assertThat(store.top()).isZero();
        assertThat(store.generationNumbers()).isEmpty();
    }

    @Test
    void aChangeThatChangesNothingWritesNothing() {
        Manifest.Service web = published("web");
        add(web);
        ManifestStore.Update again = add(web);
        assertThat(again.written()).isFalse();
        assertThat(again.generation().generation()).isEqualTo(1);
        assertThat(store.generationNumbers()).containsExactly(1L);
    }

    @Test
    void readersFindTheNewestWhenTheLatestCopyLagsIsMissingOrGarbage() {
        add(published("a"));
        byte[] first = bytes("manifest.json");
        add(published("b"));
        add(published("c"));
        storage.put("manifest.json", first);
        assertThat(store.newest(trusted).orElseThrow().generation()).isEqualTo(3);
        storage.delete("manifest.json");
        assertThat(store.newest(trusted).orElseThrow().generation()).isEqualTo(3);
        storage.put("manifest.json", "{\"generation\": 99}".getBytes(StandardCharsets.UTF_8));
        assertThat(store.newest(trusted).orElseThrow().generation()).isEqualTo(3);
        storage.put("manifest.json", "not json".getBytes(StandardCharsets.UTF_8));
        assertThat(store.newest(trusted).orElseThrow().generation()).isEqualTo(3);
        assertThat(add(published("d")).generation().generation()).isEqualTo(4);
    }

    // ---- signatures ----

    @Test
    void flippingOneByteOfTheJsonIsDetected() {
        add(published("a"));
        add(published("b"));
        byte[] json = bytes("manifests/manifest-2.json");
        String text = new String(json, StandardCharsets.US_ASCII);
        int at = text.indexOf("add b");
        json[at] ^= 0x01;                    // "add b" -> "`dd b": still valid JSON, same meaning to a parser
        storage.put("manifests/manifest-2.json", json);
        assertThat(store.read(2)).isPresent();
        assertThatThrownBy(() -> store.read(2, trusted))
                .isInstanceOf(ManifestSignatureException.class)
                .hasMessage("manifests/manifest-2.json does not match its signature by 'cache-1': it was changed "
                        + "after signing, or the signature belongs to other content");
        assertThatThrownBy(() -> store.newest(trusted)).isInstanceOf(ManifestSignatureException.class);
    }

    @Test
    void bytesThatAreNotUtf8AreDetected() {
        add(published("a"));
        byte[] json = bytes("manifests/manifest-1.json");
        json[json.length - 3] = (byte) 0xc3;
        storage.put("manifests/manifest-1.json", json);
        assertThatThrownBy(() -> store.read(1, trusted)).isInstanceOf(ManifestSignatureException.class)
                .hasMessageContaining("is not valid UTF-8");
    }

    @Test
    void aSignatureOfAnotherGenerationIsDetected() {
        add(published("a"));
        add(published("b"));
        storage.put("manifests/manifest-2.json.sig", bytes("manifests/manifest-1.json.sig"));
        assertThatThrownBy(() -> store.read(2, trusted)).isInstanceOf(ManifestSignatureException.class)
                .hasMessageContaining("does not match its signature");
    }

    @Test
    void anUnsignedGenerationIsRefusedEvenUnverified() {
        add(published("a"));
        storage.delete("manifests/manifest-1.json.sig");
        assertThatThrownBy(() -> store.read(1)).isInstanceOf(ManifestSignatureException.class)
                .hasMessage("manifests/manifest-1.json in " + storage.uri() + " is unsigned: "
                        + "manifests/manifest-1.json.sig does not exist");
        assertThatThrownBy(() -> store.read(1, trusted)).isInstanceOf(ManifestSignatureException.class);
    }

    @Test
    void aSignatureByAnUntrustedKeyIsRefused() {
        add(published("a"));
        ManifestVerifier other = ManifestVerifier.trusting(List.of(SecretKey.generate("other-1").publicKey()));
        assertThatThrownBy(() -> store.read(1, other)).isInstanceOf(ManifestSignatureException.class)
                .hasMessage("manifests/manifest-1.json is signed by key 'cache-1', which is not trusted "
                        + "(trusted: other-1)");
        ManifestVerifier sameNameOtherKey = ManifestVerifier.trusting(List.of(SecretKey.generate("cache-1").publicKey()));
        assertThatThrownBy(() -> store.read(1, sameNameOtherKey)).isInstanceOf(ManifestSignatureException.class)
                .hasMessageContaining("does not match its signature by 'cache-1'");
    }

    @Test
    void aValidGenerationCopiedToAnotherNumberIsRefused() {
        add(published("a"));
        add(published("b"));
        storage.put("manifests/manifest-3.json.sig", bytes("manifests/manifest-1.json.sig"));
        storage.put("manifests/manifest-3.json", bytes("manifests/manifest-1.json"));
        assertThatThrownBy(() -> store.read(3, trusted)).isInstanceOf(ManifestException.class)
                .hasMessageContaining("holds generation 1, not 3");
    }

    @Test
    void writersVerifyTheGenerationTheyBuildOnAndWriteNothingIfItIsTampered() {
        add(published("a"));
        byte[] json = bytes("manifests/manifest-1.json");
        json[json.length - 5] ^= 0x01;
        storage.put("manifests/manifest-1.json", json);
        List<String> before = manifestKeys();
        Manifest.Service b = published("b");
        assertThatThrownBy(() -> add(b)).isInstanceOf(ManifestSignatureException.class);
        assertThat(manifestKeys()).isEqualTo(before);
    }

    /** The manifest objects in the storage (publishing adds NARs and narinfos, which do not count here). */
    private List<String> manifestKeys() {
        return storage.list("manifest");
    }

    // ---- what is refused, and nothing written ----

    @Test
    void aStorePathMissingFromTheCacheIsRefusedAndNamed() {
        add(published("a"));
        StorePath missing = storePath("not-published");
        List<String> before = manifestKeys();
        assertThatThrownBy(() -> add(parseService(service("b", missing))))
                .isInstanceOf(ManifestException.class)
                .hasMessage("refusing to write generation 2: a store path has no narinfo in " + storage.uri()
                        + " (publish the closures first): " + missing + " (services[1] b)");
        assertThat(manifestKeys()).isEqualTo(before);
    }

    @Test
    void sitesMustBeInTheCacheToo() {
        StorePath docs = storePath("docs");
        Manifest.Site site = new Manifest.Site("docs", Manifest.Artifact.nixClosure(docs), List.of(),
                new Manifest.SiteHttp("docs.example.org", List.of(), "/"), true);
        assertThatThrownBy(() -> store.update(key, trusted, "site", m -> m.withSite(site)))
                .hasMessageContaining(docs + " (sites[0] docs)");
        publish(cache, docs);
        assertThat(store.update(key, trusted, "site", m -> m.withSite(site)).generation().manifest().sites())
                .containsExactly(site);
    }

    @Test
    void anInvalidResultIsRefusedWithFieldsNamedAndNothingWritten() {
        add(parseServiceOn("a", "x.org", 8000));
        Manifest.Service clash = parseServiceOn("b", "x.org", 8001);
        List<String> before = manifestKeys();
        assertThatThrownBy(() -> add(clash))
                .isInstanceOf(ManifestInvalidException.class)
                .hasMessage("the new generation 2 is invalid: services[1].http: the route x.org/ of service b is "
                        + "already served by services[0] (a)");
        assertThat(manifestKeys()).isEqualTo(before);
    }

    private Manifest.Service parseServiceOn(String name, String domain, int port) {
        StorePath path = storePath(name);
        publish(cache, path);
        return parseService(service(name, path, domain, port));
    }

    @Test
    void removingAServiceThatIsNotThereIsAClearError() {
        add(published("a"));
        assertThatThrownBy(() -> store.update(key, trusted, "remove b", m -> m.withoutService("b")))
                .hasMessage("generation 1 has no service named 'b'");
    }

    // ---- rollback ----

    @Test
    void rollbackWritesANewGenerationWithTheServicesOfTheOldOne() {
        Manifest.Service a = published("a");
        add(a);
        byte[] first = bytes("manifests/manifest-1.json");
        add(published("b"));
        StorePath a2 = storePath("a-2");
        publish(cache, a2);
        add(parseService(service("a", a2)));
        ManifestStore.Update rollback = store.rollback(key, trusted, 1);
        assertThat(rollback.written()).isTrue();
        Manifest four = store.read(4, trusted).orElseThrow().manifest();
        assertThat(four.generation()).isEqualTo(4);
        assertThat(four.reason()).isEqualTo("rollback to 1");
        assertThat(four.services()).isEqualTo(store.read(1).orElseThrow().manifest().services()).containsExactly(a);
        assertThat(four.sameContent(store.read(1).orElseThrow().manifest())).isTrue();
        assertThat(bytes("manifests/manifest-1.json")).isEqualTo(first);
        assertThat(store.generationNumbers()).containsExactly(1L, 2L, 3L, 4L);
    }

    @Test
    void rollbackToTheNewestContentWritesNothingAndToAMissingGenerationFails() {
        add(published("a"));
        assertThat(store.rollback(key, trusted, 1).written()).isFalse();
        assertThatThrownBy(() -> store.rollback(key, trusted, 7))
                .hasMessage("cannot roll back to generation 7: it does not exist in " + storage.uri());
    }

    @Test
    void rollbackRefusesWhenTheOldClosureIsGoneFromTheCache() {
        Manifest.Service a = published("a");
        add(a);
        add(published("b"));
        storage.delete(BinaryCache.narInfoKey(a.artifact().storePath()));
        List<String> before = manifestKeys();
        assertThatThrownBy(() -> store.rollback(key, trusted, 1)).hasMessage("cannot roll back to generation 1: a "
                + "store path it runs is no longer in " + storage.uri() + " (collected by ferry cache gc, which keeps "
                + "the newest --keep-generations): " + a.artifact().storePath() + " (a); nothing was written");
        assertThat(manifestKeys()).isEqualTo(before);
    }

    // ---- crashed and slow writers ----

    @Test
    void aClaimWhoseWriterDiedIsAbandonedAndTheNextNumberUsed() {
        storage.createIfAbsent(ManifestStore.signatureKey(1), "cache-1:crashed".getBytes(StandardCharsets.US_ASCII));
        ManifestStore.Update update = add(published("a"));
        assertThat(update.generation().generation()).isEqualTo(2);
        assertThat(store.isAbandoned(1)).isTrue();
        assertThat(store.read(1)).isEmpty();
        assertThat(bytes("manifests/manifest-1.json")).isEqualTo(ManifestStore.tombstone(1));
        assertThat(store.generationNumbers()).containsExactly(1L, 2L);
        assertThat(store.newest(trusted).orElseThrow().generation()).isEqualTo(2);
        assertThat(add(published("b")).generation().generation()).isEqualTo(3);
        assertThat(store.read(3, trusted).orElseThrow().manifest().services()).hasSize(2);
        assertThatThrownBy(() -> store.rollback(key, trusted, 1)).hasMessageContaining("it was abandoned");
    }

    @Test
    void aTombstoneIsRecognisablyNotAManifest() {
        assertThat(new String(ManifestStore.tombstone(4), StandardCharsets.US_ASCII))
                .isEqualTo("{\n  \"abandoned\": true,\n  \"generation\": 4\n}\n");
        assertThatThrownBy(() -> Manifest.parse(ManifestStore.tombstone(4))).isInstanceOf(ManifestInvalidException.class);
    }

    @Test
    void aWriterWhoseClaimWasAbandonedWhileItWasSlowRetriesOnTheNextNumber() {
        Storage slow = new ForwardingStorage(storage) {
            @Override
            public boolean createIfAbsent(String key, byte[] content) {
                if (key.equals(ManifestStore.jsonKey(1))) {
                    // While this writer was paused between claim and commit, another one gave up on it.
                    delegate.createIfAbsent(key, ManifestStore.tombstone(1));
                }
                return delegate.createIfAbsent(key, content);
            }
        };
        ManifestStore slowStore = ManifestStore.create(slow, CLOCK, Duration.ofMillis(300), 20);
        Manifest.Service a = published("a");
        ManifestStore.Update update = slowStore.update(key, trusted, "add a", m -> m.withService(a));
        assertThat(update.generation().generation()).isEqualTo(2);
        assertThat(store.isAbandoned(1)).isTrue();
        assertThat(store.newest(trusted).orElseThrow().manifest().services()).containsExactly(a);
    }

    @Test
    void aWriterThatAlwaysLosesGivesUpAfterTheBoundedAttempts() {
        int[] competitors = {0};
        Storage contended = new ForwardingStorage(storage) {
            @Override
            public boolean createIfAbsent(String key, byte[] content) {
                if (key.endsWith(".json.sig")) {
                    // Another writer commits this very generation number first.
                    Manifest.Service c = published("c" + ++competitors[0]);
                    store.update(ManifestStoreTest.this.key, trusted, "competitor", m -> m.withService(c));
                }
                return delegate.createIfAbsent(key, content);
            }
        };
        ManifestStore loser = ManifestStore.create(contended, CLOCK, Duration.ofMillis(300), 3);
        Manifest.Service a = published("a");
        assertThatThrownBy(() -> loser.update(key, trusted, "add a", m -> m.withService(a)))
                .isInstanceOf(ManifestException.class)
                .hasMessage("gave up writing a new manifest generation to " + storage.uri()
                        + " after 3 attempts: other writers took each generation number first");
        assertThat(store.generationNumbers()).containsExactly(1L, 2L, 3L);
        assertThat(store.newest(trusted).orElseThrow().manifest().service("a")).isEmpty();
    }

    @Test
    void eightConcurrentWritersEachGetOneGenerationAndNoChangeIsLost() throws Exception {
        int writers = 8;
        List<Manifest.Service> services = new ArrayList<>();
        for (int i = 0; i < writers; i++) {
            services.add(published("svc-" + i));
        }
        ManifestStore concurrent = ManifestStore.create(storage, Clock.systemUTC(), Duration.ofSeconds(30), 50);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<ManifestStore.Update>> results = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(writers)) {
            for (Manifest.Service s : services) {
                Callable<ManifestStore.Update> write = () -> {
                    start.await();
                    return concurrent.update(key, trusted, "add " + s.name(), m -> m.withService(s));
                };
                results.add(pool.submit(write));
            }
            start.countDown();
            Set<Long> generations = new HashSet<>();
            for (Future<ManifestStore.Update> result : results) {
                ManifestStore.Update update = result.get();
                assertThat(update.written()).isTrue();
                generations.add(update.generation().generation());
            }
            assertThat(generations).containsExactlyInAnyOrderElementsOf(LongStream.rangeClosed(1, writers).boxed().toList());
        }
        assertThat(store.generationNumbers()).containsExactlyElementsOf(LongStream.rangeClosed(1, writers).boxed().toList());
        Set<String> reasons = new HashSet<>();
        for (long g = 1; g <= writers; g++) {
            ManifestGeneration generation = store.read(g, trusted).orElseThrow();
            assertThat(generation.manifest().services()).as("generation %d", g).hasSize((int) g);
            reasons.add(generation.manifest().reason());
            if (g > 1) {
                Manifest previous = store.read(g - 1).orElseThrow().manifest();
                assertThat(generation.manifest().services()).containsAll(previous.services());
            }
        }
        assertThat(reasons).hasSize(writers);
        assertThat(store.newest(trusted).orElseThrow().manifest().services()).containsExactlyInAnyOrderElementsOf(services);
        assertThat(Manifest.parse(bytes("manifest.json")).generation()).isEqualTo(writers);
    }
}
