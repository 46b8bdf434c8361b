package dev.ferry.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ferry.cache.BinaryCache;
import dev.ferry.cache.CacheUri;
import dev.ferry.cache.Compression;
import dev.ferry.cache.Manifest;
import dev.ferry.cache.ManifestStore;
import dev.ferry.cache.ManifestVerifier;
import dev.ferry.cache.Storage;
import dev.ferry.nix.Hash;
import dev.ferry.nix.NarInfo;
import dev.ferry.nix.SecretKey;
import dev.ferry.nix.StorePath;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code ferry cache gc|pin|unpin|pins} run in-process through {@link Main#run}, against a directory cache. */
class CacheCommandTest {
    @TempDir
    Path dir;

    private String cacheUri;
    private Storage storage;
    private final SecretKey key = SecretKey.generate("cache-1");

    private InProcessCli.Result cache(String subcommand, String... args) {
        List<String> all = new ArrayList<>(List.of("cache", subcommand, "--cache", cacheUri));
        all.addAll(List.of(args));
        return InProcessCli.run(all.toArray(String[]::new));
    }

    @BeforeEach
    void setUp() {
        cacheUri = "file://" + dir.resolve("cache");
        storage = CacheUri.parse(cacheUri).open();
    }

    private static StorePath storePath(String name) throws Exception {
        byte[] digest = MessageDigest.getInstance("SHA-256").digest(name.getBytes(StandardCharsets.UTF_8));
        String nix32 = "0123456789abcdfghijklmnpqrsvwxyz";
        StringBuilder hash = new StringBuilder();
        for (int i = 0; i < 32; i++) {
            hash.append(nix32.charAt((digest[i] & 0xff) % 32));
        }
        return new StorePath(hash.toString(), name);
    }

    private StorePath publish(String name, StorePath... references) throws Exception {
        StorePath path = storePath(name);
        byte[] nar = ("nar of " + path).getBytes(StandardCharsets.UTF_8);
        Hash narHash = Hash.sha256(MessageDigest.getInstance("SHA-256").digest(nar));
        String url = BinaryCache.narKey(narHash, Compression.NONE);
        storage.put(url, nar);
        TreeSet<StorePath> refs = new TreeSet<>(List.of(references));
        refs.add(path);
        new BinaryCache(storage).putNarInfo(new NarInfo(path, url, "none", Optional.of(narHash),
                OptionalLong.of(nar.length), narHash, nar.length, refs, Optional.empty(), Optional.empty(),
                new TreeSet<>(), Optional.empty()));
        return path;
    }

    private void deploy(StorePath path) {
        Manifest.Service service = Manifest.Service.parse("""
                {"name": "app", "artifact": {"type": "nix-closure", "storePath": "%s"}, "exec": {"command": "app"}}
                """.formatted(path).getBytes(StandardCharsets.UTF_8), "test");
        ManifestStore.create(storage).update(key, ManifestVerifier.trusting(List.of(key.publicKey())), "deploy",
                base -> new Manifest(base.version(), base.generation(), base.createdAt(), base.reason(),
                        List.of(service), List.of()));
    }

    @Test
    void pinListAndUnpin() throws Exception {
        StorePath path = publish("pinned");
        assertThat(cache("pins").out()).contains("no pinned paths");

        InProcessCli.Result pin = cache("pin", path.absolute());
        assertThat(pin.exit()).isZero();
        assertThat(pin.out()).contains("pinned " + path);
        assertThat(cache("pin", path.absolute()).out()).contains("already pinned: " + path);
        assertThat(cache("pins").out()).contains(path.absolute() + "  pinned 20");

        assertThat(cache("unpin", path.absolute()).out()).contains("unpinned " + path);
        InProcessCli.Result again = cache("unpin", path.absolute());
        assertThat(again.exit()).isEqualTo(1);
        assertThat(again.err()).contains("ferry: " + path + " is not pinned in " + cacheUri);
    }

    @Test
    void pinRefusesPathsTheCacheLacksAndThingsThatAreNotStorePaths() throws Exception {
        InProcessCli.Result missing = cache("pin", storePath("missing").absolute());
        assertThat(missing.exit()).isEqualTo(1);
        assertThat(missing.err()).contains("cannot pin", "publish it first");
        InProcessCli.Result notAPath = cache("pin", dir.toString());
        assertThat(notAPath.exit()).isEqualTo(1);
        assertThat(notAPath.err()).contains(dir + " is neither a store path nor a link to one");
        assertThat(storage.list("pins/")).isEmpty();
    }

    @Test
    void gcPrintsThePlanAndDryRunDeletesNothing() throws Exception {
        StorePath lib = publish("lib");
        StorePath app = publish("app", lib);
        StorePath old = publish("old");
        deploy(old);
        deploy(app);
        List<String> before = storage.list("");

        InProcessCli.Result dry = cache("gc", "--keep-generations", "1", "--grace", "0", "--dry-run");
        assertThat(dry.exit()).isZero();
        assertThat(dry.out()).contains("keeping manifest generation 2 (the newest) and everything written after",
                "roots:  1 store path in manifests, 0 pinned, 0 published within the grace period",
                "keep:   2 store paths", "remove: 1 store path, 1 NAR, 0 unfinished writes",
                "  remove " + old.absolute(), "dry run: nothing deleted");
        assertThat(storage.list("")).isEqualTo(before);

        // Everything was written just now: the default grace of 24h keeps it all.
        InProcessCli.Result graceful = cache("gc", "--keep-generations", "1");
        assertThat(graceful.out()).contains("grace 24h", "3 published within the grace period",
                "remove: 0 store paths", "nothing to delete");
        assertThat(storage.list("")).isEqualTo(before);
        assertThat(cache("gc", "--dry-run").out()).contains("keeping manifest generations 1..2 (all 2)");

        InProcessCli.Result gc = cache("gc", "--keep-generations", "1", "--grace", "0", "--verbose");
        assertThat(gc.exit()).isZero();
        assertThat(gc.out()).contains("  keep   " + app, "  keep   " + lib, "deleted 1 narinfo, 1 NAR");
        assertThat(storage.exists(BinaryCache.narInfoKey(old))).isFalse();
        assertThat(storage.exists(BinaryCache.narInfoKey(lib))).isTrue();
    }

    @Test
    void aCacheWithoutManifestsIsCollectedOnlyWithTheFlag() throws Exception {
        StorePath path = publish("no-manifest");
        InProcessCli.Result dry = cache("gc", "--grace", "0", "--dry-run");
        assertThat(dry.exit()).isZero();
        assertThat(dry.err()).contains("warning: the cache has no manifest generation: without --without-manifests "
                + "the collection itself is refused");
        InProcessCli.Result refused = cache("gc", "--grace", "0");
        assertThat(refused.exit()).isEqualTo(1);
        assertThat(refused.err()).contains("has no manifest generation", "(ferry cache gc --without-manifests)");
        assertThat(storage.exists(BinaryCache.narInfoKey(path))).isTrue();
        InProcessCli.Result done = cache("gc", "--grace", "0", "--without-manifests");
        assertThat(done.exit()).isZero();
        assertThat(done.out()).contains("keeping no manifest generation (the cache has none)", "deleted 1 narinfo");
        assertThat(storage.exists(BinaryCache.narInfoKey(path))).isFalse();
    }

    @Test
    void signAddsTheNewKeysSignatureToWhatTheTrustedKeySigned() throws Exception {
        StorePath lib = publish("lib");
        NarInfo unsigned = new BinaryCache(storage).narInfo(lib).orElseThrow();
        NarInfo signed = unsigned.withSignature(key.sign(unsigned.fingerprint()));
        storage.put(BinaryCache.narInfoKey(lib), signed.render().getBytes(StandardCharsets.UTF_8));
        publish("nobody-signed-this");
        SecretKey next = SecretKey.generate("cache-2");
        Path secret = java.nio.file.Files.writeString(dir.resolve("cache-2.sec"), next.render());

        InProcessCli.Result result = cache("sign", "--secret-key", secret.toString(), "--trusted-key",
                key.publicKey().render());

        assertThat(result.exit()).isEqualTo(1);
        assertThat(result.out()).contains("signed 1 narinfo with key 'cache-2' in " + storage.uri()
                + "; 0 already carried its signature; 1 skipped");
        assertThat(result.err()).contains("ferry: skipped " + BinaryCache.narInfoKey(storePath("nobody-signed-this"))
                + ": no valid signature by a trusted key");
        NarInfo now = new BinaryCache(storage).narInfo(lib).orElseThrow();
        assertThat(now.signatures()).anyMatch(s -> next.publicKey().verify(now.fingerprint(), s))
                .anyMatch(s -> key.publicKey().verify(now.fingerprint(), s));

        InProcessCli.Result untrusting = cache("sign", "--secret-key", secret.toString());
        assertThat(untrusting.exit()).isEqualTo(2);
        assertThat(untrusting.err()).contains("Missing required option: '--trusted-key=KEY_OR_FILE'");
    }

    @Test
    void badOptionsAreClearErrors() {
        InProcessCli.Result zero = cache("gc", "--keep-generations", "0");
        assertThat(zero.exit()).isEqualTo(1);
        assertThat(zero.err()).contains("keep-generations must be at least 1");
        InProcessCli.Result noUnit = cache("gc", "--grace", "5");
        assertThat(noUnit.exit()).isEqualTo(2);
        assertThat(noUnit.err()).contains("period '5' needs a unit");
    }

    @Test
    void periods() {
        assertThat(CacheCommand.PeriodConverter.parse("90s")).isEqualTo(Duration.ofSeconds(90));
        assertThat(CacheCommand.PeriodConverter.parse("30m")).isEqualTo(Duration.ofMinutes(30));
        assertThat(CacheCommand.PeriodConverter.parse("24h")).isEqualTo(Duration.ofHours(24));
        assertThat(CacheCommand.PeriodConverter.parse("7d")).isEqualTo(Duration.ofDays(7));
        assertThat(CacheCommand.PeriodConverter.parse("0")).isEqualTo(Duration.ZERO);
        assertThat(CacheCommand.PeriodConverter.parse("PT12H")).isEqualTo(Duration.ofHours(12));
        for (String bad : List.of("", "h", "1w", "-1h", "PT-1H", "1.5h")) {
            assertThatThrownBy(() -> CacheCommand.PeriodConverter.parse(bad)).as(bad)
                    .isInstanceOf(CommandLine.TypeConversionException.class);
        }
        assertThat(CacheCommand.PeriodConverter.format(Duration.ofHours(24))).isEqualTo("24h");
        assertThat(CacheCommand.PeriodConverter.format(Duration.ofDays(7))).isEqualTo("7d");
        assertThat(CacheCommand.PeriodConverter.format(Duration.ofMinutes(90))).isEqualTo("90m");
        assertThat(CacheCommand.PeriodConverter.format(Duration.ZERO)).isEqualTo("0s");
    }
}
