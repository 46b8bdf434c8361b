package dev.ferry.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ferry.cache.BinaryCache;
import dev.ferry.cache.CacheUri;
import dev.ferry.cache.Compression;
import dev.ferry.cache.LocalNixStore;
import dev.ferry.cache.Publisher;
import dev.ferry.cache.S3ProxyServer;
import dev.ferry.cache.Storage;
import dev.ferry.nix.NarInfo;
import dev.ferry.nix.SecretKey;
import dev.ferry.nix.StorePath;
import dev.ferry.process.Command;
import dev.ferry.process.ProcessException;
import dev.ferry.process.ProcessResult;
import dev.ferry.process.ProcessRunner;
import dev.ferry.testkit.FaultyTcpProxy;
import dev.ferry.testkit.RequiresPrograms;
import dev.ferry.testkit.TestEnv;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Ferry's cache against stock Nix: Nix substitutes from it (checking Ferry's signatures), and {@code nix copy --to
 * http://...} uploads into it with the token from a netrc file. The closure ({@code closure.nix}, two paths, one
 * referring to the other) is built fresh for each run; every Nix call gets its own narinfo cache directory.
 */
@RequiresPrograms({"nix", "nix-build", "nix-store"})
class NixCacheIT {
    private static final ProcessRunner RUNNER = ProcessRunner.local();

    static StorePath a;
    static StorePath b;

    @TempDir
    Path temp;

    @BeforeAll
    static void buildClosure(@TempDir Path dir) throws IOException {
        Path expression = dir.resolve("closure.nix");
        try (InputStream in = NixCacheIT.class.getResourceAsStream("closure.nix")) {
            Files.copy(in, expression);
        }
        String out = RUNNER.run(Command.of("nix-build", expression.toString(), "--argstr", "nonce",
                UUID.randomUUID().toString(), "--no-out-link").environment(nixEnvironment(dir))
                .timeout(Duration.ofMinutes(2))).stdout().strip();
        b = StorePath.parse(out);
        String references = RUNNER.run(Command.of("nix-store", "--query", "--references", b.absolute())
                .environment(nixEnvironment(dir))).stdout().strip();
        a = StorePath.parse(references);
        assertThat(a.name()).isEqualTo("ferry-it-a");
    }

    private static Map<String, String> nixEnvironment(Path dir) {
        Map<String, String> environment = new HashMap<>(TestEnv.nixEnvironment());
        // Nix remembers narinfo lookups per cache URL, including the narinfo it uploaded itself (without Ferry's
        // signature): a fresh cache directory makes a call behave as another host, which asks the server.
        environment.put("XDG_CACHE_HOME", dir.resolve("xdg-cache").toString());
        return environment;
    }

    /** Runs nix as a host of its own: with a narinfo cache no other call shares. */
    private ProcessResult nix(String... args) {
        List<String> argv = new ArrayList<>(List.of("nix"));
        argv.addAll(List.of(args));
        Path host = temp.resolve("host-" + UUID.randomUUID());
        return RUNNER.run(Command.of(argv).environment(nixEnvironment(host)).timeout(Duration.ofMinutes(2)));
    }

    private Path netrc(String password) throws IOException {
        Path file = temp.resolve("netrc-" + UUID.randomUUID());
        Files.writeString(file, "machine 127.0.0.1\npassword " + password + "\n");
        return file;
    }

    /** Substitutes {@code path} from the server into a new chroot store, trusting only {@code trustedKey}. */
    private String substitute(TestServer server, StorePath path, String trustedKey) {
        Path root = temp.resolve("store-" + UUID.randomUUID());
        nix("copy", "--from", server.cacheUrl(), "--to", "local?root=" + root, path.absolute(),
                "--option", "trusted-public-keys", trustedKey);
        nix("store", "verify", "--store", "local?root=" + root, "--recursive", "--sigs-needed", "1",
                "--option", "trusted-public-keys", trustedKey, path.absolute());
        return "local?root=" + root;
    }

    @Test
    void nixSubstitutesAClosureFromTheCacheAndChecksItsSignatures() throws IOException {
        Path keyFile = temp.resolve("cache-secret.key");
        SigningKeyFile.generate(keyFile, "ferry-it-1");
        SecretKey key = SigningKeyFile.read(keyFile);
        Path dir = temp.resolve("cache");
        publish(CacheUri.parse("file://" + dir).open(), key);

        try (TestServer server = TestServer.start(CacheUri.parse("file://" + dir).open(), key, Optional.empty(), 1 << 30)) {
            String store = substitute(server, b, key.publicKey().render());
            ProcessResult info = nix("path-info", "--store", store, "--recursive", b.absolute());
            assertThat(info.stdout()).contains(a.absolute(), b.absolute());

            String otherKey = SecretKey.generate("ferry-it-1").publicKey().render();
            assertThatThrownBy(() -> substitute(server, b, otherKey))
                    .isInstanceOf(ProcessException.class)
                    .hasMessageContaining("lacks a valid signature");
        }
    }

    /**
     * A connection that drops part-way through a NAR: Nix asks for the rest ({@code Range: bytes=N-}) and finishes
     * the copy, since Ferry says it serves NARs in part. Without that, Nix fails the download.
     */
    @Test
    void aNarDownloadThatBreaksOffResumesWhereItStopped() throws IOException {
        Path file = temp.resolve("noise");
        byte[] noise = new byte[2 << 20]; // incompressible: the NAR stays 2 MiB
        new java.util.Random().nextBytes(noise);
        Files.write(file, noise);
        StorePath path = StorePath.parse(RUNNER.run(Command.of("nix-store", "--add", file.toString())
                .environment(nixEnvironment(temp))).stdout().strip());
        SecretKey key = SecretKey.generate("ferry-it-1");
        Storage cache = CacheUri.parse("file://" + temp.resolve("cache")).open();
        assertThat(new Publisher(new BinaryCache(cache), new LocalNixStore(RUNNER), Compression.ZSTD, 1)
                .publish(List.of(path), key, Publisher.Listener.none()).published()).isEqualTo(1);

        try (TestServer server = TestServer.start(cache, key, Optional.empty(), 1 << 30);
             FaultyTcpProxy proxy = new FaultyTcpProxy(server.port())) {
            proxy.cutAnswerOnce("GET /cache/nar/", 512 * 1024);
            Path root = temp.resolve("store");
            nix("copy", "--from", proxy.endpoint() + "/cache", "--to", "local?root=" + root, path.absolute(),
                    "--option", "trusted-public-keys", key.publicKey().render());
            nix("store", "verify", "--store", "local?root=" + root, "--sigs-needed", "1",
                    "--option", "trusted-public-keys", key.publicKey().render(), path.absolute());

            assertThat(proxy.cuts()).isEqualTo(1);
            List<String> nars = proxy.requests().stream().filter(r -> r.startsWith("GET /cache/nar/")).toList();
            assertThat(nars).hasSize(2);
            assertThat(nars.get(0)).doesNotContainIgnoringCase("range:");
            assertThat(nars.get(1)).containsPattern("(?i)range: bytes=[1-9][0-9]*-");
        }
    }

    /** {@code ferry publish} to S3 (s3proxy, a real S3 server in this JVM), then {@code ferry serve} over that bucket. */
    @Test
    void aClosurePublishedToS3SubstitutesThroughTheServer() throws Exception {
        SecretKey key = SecretKey.generate("ferry-s3-it-1");
        String previousId = System.getProperty("aws.accessKeyId");
        String previousSecret = System.getProperty("aws.secretAccessKey");
        try (S3ProxyServer s3 = S3ProxyServer.start()) {
            // The SDK's default credentials chain reads these, as a deployment would read its environment.
            System.setProperty("aws.accessKeyId", S3ProxyServer.ACCESS_KEY);
            System.setProperty("aws.secretAccessKey", S3ProxyServer.SECRET_KEY);
            s3.createBucket("ferry-it-cache");
            String uri = "s3://ferry-it-cache?endpoint=" + s3.endpoint() + "&region=us-east-1";
            try (Storage bucket = CacheUri.parse(uri).open()) {
                publish(bucket, key);
                assertThat(bucket.list("")).contains("nix-cache-info", a.hashPart() + ".narinfo", b.hashPart() + ".narinfo");
                try (TestServer server = TestServer.start(bucket, key, Optional.empty(), 1 << 30)) {
                    substitute(server, b, key.publicKey().render());
                    String otherKey = SecretKey.generate("ferry-s3-it-1").publicKey().render();
                    assertThatThrownBy(() -> substitute(server, b, otherKey))
                            .isInstanceOf(ProcessException.class).hasMessageContaining("lacks a valid signature");
                }
            }
        } finally {
            restore("aws.accessKeyId", previousId);
            restore("aws.secretAccessKey", previousSecret);
        }
    }

    private static void restore(String property, String value) {
        if (value == null) {
            System.clearProperty(property);
        } else {
            System.setProperty(property, value);
        }
    }

    /** Publishes the closure of {@code b} with Ferry's publisher, as {@code ferry publish} does. */
    private static void publish(Storage storage, SecretKey key) {
        Publisher.Summary summary = new Publisher(new BinaryCache(storage), new LocalNixStore(RUNNER),
                Compression.ZSTD, 2).publish(List.of(b), key, Publisher.Listener.none());
        assertThat(summary.failures()).isEmpty();
        assertThat(summary.published()).isEqualTo(2);
    }

    @ParameterizedTest
    @ValueSource(strings = {"zstd", "xz"})
    void stockNixUploadsWithTheTokenAndTheUploadsSubstituteSignedByFerry(String compression) throws IOException {
        try (TestServer server = TestServer.start(temp.resolve("cache"))) {
            nix("copy", "--to", server.cacheUrl() + "?compression=" + compression, b.absolute(),
                    "--option", "netrc-file", netrc(TestServer.TOKEN).toString());

            assertThat(server.storage.list("")).hasSize(5).contains("nix-cache-info", a.hashPart() + ".narinfo",
                    b.hashPart() + ".narinfo");
            assertThat(server.storage.list("nar/")).hasSize(2);
            for (StorePath path : List.of(a, b)) {
                NarInfo info = server.cache.narInfo(path).orElseThrow();
                assertThat(info.compression()).isEqualTo(compression);
                assertThat(info.signatures()).anySatisfy(signature ->
                        assertThat(server.key.publicKey().verify(info.fingerprint(), signature)).isTrue());
            }
            substitute(server, b, server.key.publicKey().render());
        }
    }

    @Test
    void stockNixWithoutTheTokenIsRefusedAndNothingIsStored() throws IOException {
        try (TestServer server = TestServer.start(temp.resolve("cache"))) {
            Path empty = Files.writeString(temp.resolve("empty-netrc"), "");
            for (Path netrc : List.of(empty, netrc("wrong-token-0123456789abcdef"))) {
                assertThatThrownBy(() -> nix("copy", "--to", server.cacheUrl(), b.absolute(),
                        "--option", "netrc-file", netrc.toString()))
                        .isInstanceOf(ProcessException.class)
                        .hasMessageContaining("401");
            }
            assertThat(server.storage.list("")).containsExactly("nix-cache-info");
        }
    }
}
