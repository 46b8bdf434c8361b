package dev.ferry.deployer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.SimpleFileServer;
import dev.ferry.cache.BinaryCache;
import dev.ferry.cache.CacheUri;
import dev.ferry.cache.Compression;
import dev.ferry.cache.LocalNixStore;
import dev.ferry.cache.Publisher;
import dev.ferry.nix.SecretKey;
import dev.ferry.nix.StorePath;
import dev.ferry.process.Command;
import dev.ferry.process.ProcessResult;
import dev.ferry.process.ProcessRunner;
import dev.ferry.testkit.RequiresPrograms;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Realising closures with the real {@code nix copy --from} over HTTP, as a new host's first pass does: several
 * services at once, from a substituter this host's Nix has never used.
 */
@RequiresPrograms({"nix", "nix-store"})
class NixRealiseIT {
    private static final int PATHS = 3;
    private static final int ROUNDS = 4;

    @TempDir
    Path dir;

    /**
     * Nix 2.8 fails about half of such first contacts ("constraint failed" in its narinfo cache) when three copies
     * start together; each round here is a new host (a new {@code XDG_CACHE_HOME}), so without the retry the chance
     * that all rounds pass is about 1 in 16.
     */
    @Test
    void parallelRealisationsFromASubstituterNeverUsedBeforeAllSucceed() throws Exception {
        SecretKey key = SecretKey.generate("realise-it-1");
        Path cacheDir = Files.createDirectories(dir.resolve("cache"));
        List<StorePath> paths = new ArrayList<>();
        for (int i = 0; i < PATHS; i++) {
            Path file = Files.writeString(dir.resolve("payload-" + i), "payload " + i + " " + System.nanoTime());
            paths.add(StorePath.parse(Harness.nix("nix-store", "--add", file.toString()).stdout().strip()));
        }
        new Publisher(new BinaryCache(CacheUri.parse("file://" + cacheDir).open()), new LocalNixStore(Harness.RUNNER),
                Compression.ZSTD, 2).publish(paths, key, Publisher.Listener.none());
        HttpServer server = SimpleFileServer.createFileServer(new InetSocketAddress("127.0.0.1", 0), cacheDir,
                SimpleFileServer.OutputLevel.NONE);
        server.start();
        ExecutorService pool = Executors.newFixedThreadPool(PATHS);
        try {
            String substituter = "http://127.0.0.1:" + server.getAddress().getPort();
            for (int round = 0; round < ROUNDS; round++) {
                for (StorePath p : paths) {
                    Harness.nix("nix-store", "--delete", p.absolute());
                }
                NixStore nix = NixStore.cli(withFreshNarInfoCache(Files.createDirectories(dir.resolve("xdg-" + round))),
                        dir.resolve("profiles"));
                List<Future<?>> copies = new ArrayList<>();
                for (StorePath p : paths) {
                    copies.add(pool.submit(() -> nix.realise(p, List.of(substituter), List.of(key.publicKey()))));
                }
                for (Future<?> copy : copies) {
                    copy.get(); // throws the DeployerException of a failed realisation
                }
                for (StorePath p : paths) {
                    assertThat(nix.isValid(p)).as("round %d: %s", round, p).isTrue();
                }
            }
        } finally {
            pool.shutdownNow();
            server.stop(0);
        }
    }

    /**
     * A realisation that failed because the substituter did not have the narinfo yet, or had it signed only by a key
     * the host does not trust (before {@code ferry cache sign}), succeeds on its next try once that is put right: Nix's
     * narinfo cache (an hour for a missing narinfo, 30 days for one it saw) does not answer for the substituter.
     */
    @Test
    void aRetryAsksTheSubstituterAgainNotNixsNarInfoCache() throws Exception {
        SecretKey key = SecretKey.generate("realise-it-1");
        SecretKey other = SecretKey.generate("realise-it-other-1");
        Path cacheDir = Files.createDirectories(dir.resolve("cache"));
        List<StorePath> paths = new ArrayList<>();
        for (String name : List.of("hidden", "resigned")) {
            // Built, not added: Nix takes a content-addressed path (nix-store --add) without any signature.
            Path expression = Files.writeString(dir.resolve(name + ".nix"), """
                    derivation { name = "%s"; system = builtins.currentSystem; builder = "/bin/sh";
                                 args = [ "-c" "echo %s > $out" ]; }
                    """.formatted(name, name + "-" + java.util.UUID.randomUUID()));
            paths.add(StorePath.parse(Harness.nix("nix-build", "--no-out-link", expression.toString()).stdout()
                    .strip()));
        }
        StorePath hidden = paths.get(0);
        StorePath resigned = paths.get(1);
        BinaryCache cache = new BinaryCache(CacheUri.parse("file://" + cacheDir).open());
        new Publisher(cache, new LocalNixStore(Harness.RUNNER), Compression.ZSTD, 2)
                .publish(List.of(hidden), key, Publisher.Listener.none());
        new Publisher(cache, new LocalNixStore(Harness.RUNNER), Compression.ZSTD, 2)
                .publish(List.of(resigned), other, Publisher.Listener.none());
        Path narInfo = cacheDir.resolve(hidden.hashPart() + ".narinfo");
        Path aside = Files.move(narInfo, dir.resolve("aside.narinfo"));
        HttpServer server = SimpleFileServer.createFileServer(new InetSocketAddress("127.0.0.1", 0), cacheDir,
                SimpleFileServer.OutputLevel.NONE);
        server.start();
        try {
            String substituter = "http://127.0.0.1:" + server.getAddress().getPort();
            for (StorePath p : paths) {
                Harness.nix("nix-store", "--delete", p.absolute());
            }
            NixStore nix = NixStore.cli(withFreshNarInfoCache(Files.createDirectories(dir.resolve("xdg"))),
                    dir.resolve("profiles"));
            for (StorePath p : paths) {
                assertThatThrownBy(() -> nix.realise(p, List.of(substituter), List.of(key.publicKey())))
                        .isInstanceOf(DeployerException.class);
            }

            Files.move(aside, narInfo);
            dev.ferry.cache.CacheSigner.create(CacheUri.parse("file://" + cacheDir).open(), 1)
                    .sign(key, List.of(other.publicKey()));
            for (StorePath p : paths) {
                nix.realise(p, List.of(substituter), List.of(key.publicKey()));
                assertThat(nix.isValid(p)).as("%s", p).isTrue();
            }
        } finally {
            server.stop(0);
        }
    }

    /** The local runner, with Nix's cache directory (its narinfo cache) in {@code xdg} and the tests' Nix settings. */
    private static ProcessRunner withFreshNarInfoCache(Path xdg) {
        return new ProcessRunner() {
            @Override
            public ProcessResult run(Command command, OutputStream stdout) {
                Map<String, String> env = new HashMap<>(command.environment());
                env.putAll(dev.ferry.testkit.TestEnv.nixEnvironment());
                env.put("XDG_CACHE_HOME", xdg.toString());
                return Harness.RUNNER.run(command.environment(env), stdout);
            }
        };
    }
}
