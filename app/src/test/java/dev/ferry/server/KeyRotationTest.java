package dev.ferry.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ferry.builder.Project;
import dev.ferry.cache.CacheUri;
import dev.ferry.cache.Compression;
import dev.ferry.cache.Manifest;
import dev.ferry.cache.ManifestStore;
import dev.ferry.cache.ManifestVerifier;
import dev.ferry.cache.Storage;
import dev.ferry.nix.SecretKey;
import dev.ferry.nix.StorePath;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ferry.cache.trusted-keys}: after a key rotation, the server builds on generations the old key signed. */
class KeyRotationTest {
    static final String ADMIN = "admin-token-0123456789abcdef";

    @TempDir
    Path temp;

    /** A cache whose only generation the old key signed, and a server data dir holding the new key. */
    private ServerConfig rotated(List<dev.ferry.nix.PublicKey> trusted) throws Exception {
        SecretKey old = SecretKey.generate("ops-1");
        Path data = temp.resolve("data");
        CacheUri cache = CacheUri.parse(data.resolve("cache").toUri().toString());
        try (Storage storage = cache.open()) {
            ManifestStore.create(storage).update(old, ManifestVerifier.trusting(List.of(old.publicKey())), "init",
                    m -> m);
        }
        Files.createDirectories(data.resolve("keys"));
        Files.writeString(data.resolve("keys/cache.sec"), SecretKey.generate("ops-2").render());
        Files.writeString(temp.resolve("old.pub"), old.publicKey().render());
        return new ServerConfig(data, "127.0.0.1", 0, cache, data.resolve("keys/cache.sec"), true, Compression.ZSTD,
                Optional.empty(), ServerConfig.DEFAULT_MAX_UPLOAD_SIZE, trusted);
    }

    private static HttpResponse<byte[]> rollbackTo1(ServerConfig config, Path admin) {
        BuilderSettings settings = new BuilderSettings(List.of(new BuilderSettings.ConfiguredProject(
                new Project("shop", "https://git.example.org/alice/shop.git", "main"), Optional.empty())),
                Optional.empty(), 4096, Optional.of(admin), false, 1, false);
        try (FerryServer server = FerryServer.start(config, Optional.of(settings), resources -> new NoPipeline())) {
            return Http.send("POST", java.net.URI.create(server.url() + "/v1/rollback"),
                    "{\"generation\": 1}".getBytes(StandardCharsets.UTF_8), "Authorization", "Bearer " + ADMIN,
                    "Content-Type", "application/json");
        }
    }

    @Test
    void theOldKeyListedInTrustedKeysIsTrustedAlongsideTheServersOwn() throws Exception {
        Path admin = Files.writeString(temp.resolve("admin"), ADMIN);
        ServerConfig untrusted = rotated(List.of());
        HttpResponse<byte[]> refused = rollbackTo1(untrusted, admin);
        assertThat(refused.statusCode()).as(Http.text(refused)).isEqualTo(409);
        assertThat(Http.text(refused)).contains("cannot roll back to generation 1: ",
                "is signed by key 'ops-1', which is not trusted (trusted: ops-2)");

        dev.ferry.nix.PublicKey old = dev.ferry.nix.PublicKey.parse(Files.readString(temp.resolve("old.pub")).strip());
        ServerConfig trusting = new ServerConfig(untrusted.dataDir(), untrusted.host(), 0, untrusted.cacheUri(),
                untrusted.secretKeyFile(), true, Compression.ZSTD, Optional.empty(),
                ServerConfig.DEFAULT_MAX_UPLOAD_SIZE, List.of(old));
        HttpResponse<byte[]> accepted = rollbackTo1(trusting, admin);
        assertThat(accepted.statusCode()).as(Http.text(accepted)).isEqualTo(200); // verified; nothing to change
        assertThat(Http.text(accepted)).contains("\"rolledBackTo\" : 1");
    }

    @Test
    void aRollbackToAGenerationWhoseClosureWasCollectedNamesTheMissingPath() throws Exception {
        Path admin = Files.writeString(temp.resolve("admin"), ADMIN);
        SecretKey key = SecretKey.generate("ops-1");
        Path data = temp.resolve("data");
        Path cacheDir = Files.createDirectories(data.resolve("cache"));
        CacheUri cache = CacheUri.parse(cacheDir.toUri().toString());
        StorePath web = StorePath.parse("/nix/store/" + "a".repeat(32) + "-web-1");
        Path narInfo = Files.writeString(cacheDir.resolve(web.hashPart() + ".narinfo"), "StorePath: " + web + "\n");
        Manifest.Service service = Manifest.Service.parse("""
                {"name": "web", "artifact": {"type": "nix-closure", "storePath": "%s"}, "exec": {"command": "web"}}
                """.formatted(web).getBytes(StandardCharsets.UTF_8), "test");
        try (Storage storage = cache.open()) {
            ManifestStore store = ManifestStore.create(storage);
            ManifestVerifier trusting = ManifestVerifier.trusting(List.of(key.publicKey()));
            store.update(key, trusting, "v1", m -> new Manifest(m.version(), m.generation(), m.createdAt(),
                    m.reason(), List.of(service), List.of()));
            store.update(key, trusting, "gone", m -> new Manifest(m.version(), m.generation(), m.createdAt(),
                    m.reason(), List.of(), List.of()));
        }
        Files.delete(narInfo); // as `ferry cache gc` does once generation 1 is no longer kept
        Files.createDirectories(data.resolve("keys"));
        Files.writeString(data.resolve("keys/cache.sec"), key.render());
        ServerConfig config = new ServerConfig(data, "127.0.0.1", 0, cache, data.resolve("keys/cache.sec"), true,
                Compression.ZSTD, Optional.empty(), ServerConfig.DEFAULT_MAX_UPLOAD_SIZE, List.of());

        HttpResponse<byte[]> refused = rollbackTo1(config, admin);

        assertThat(refused.statusCode()).as(Http.text(refused)).isEqualTo(409);
        assertThat(Http.text(refused)).startsWith("cannot roll back to generation 1: a store path it runs is no "
                + "longer in ").contains("(collected by ferry cache gc", web.absolute() + " (web)")
                .doesNotContain("generation 3");
    }

    @Test
    void aRollbackToAnAbandonedGenerationSaysSoOnce() throws Exception {
        Path admin = Files.writeString(temp.resolve("admin"), ADMIN);
        ServerConfig config = rotated(List.of());
        // The tombstone a writer leaves for a generation whose claimer never committed it (ManifestStore).
        Files.writeString(config.dataDir().resolve("cache/manifests/manifest-2.json"),
                "{\n  \"abandoned\": true,\n  \"generation\": 2\n}\n");
        BuilderSettings settings = new BuilderSettings(List.of(), Optional.empty(), 4096, Optional.of(admin), false, 1,
                false);
        try (FerryServer server = FerryServer.start(config, Optional.of(settings), resources -> new NoPipeline())) {
            HttpResponse<byte[]> refused = Http.send("POST", java.net.URI.create(server.url() + "/v1/rollback"),
                    "{\"generation\": 2}".getBytes(StandardCharsets.UTF_8), "Authorization", "Bearer " + ADMIN,
                    "Content-Type", "application/json");
            assertThat(refused.statusCode()).as(Http.text(refused)).isEqualTo(409);
            assertThat(Http.text(refused)).startsWith("cannot roll back to generation 2: it was abandoned by a writer "
                    + "that did not finish").doesNotContain("generation 2: cannot");
        }
    }

    @Test
    void trustedKeysAreReadAsAListOrOneStringAndABadOneIsNamed() throws Exception {
        String a = SecretKey.generate("ops-1").publicKey().render();
        String b = SecretKey.generate("ops-2").publicKey().render();
        Path yaml = Files.writeString(temp.resolve("ferry.yaml"), """
                ferry:
                  data-dir: %s
                  cache:
                    trusted-keys: [ "%s", "%s" ]
                """.formatted(temp.resolve("d"), a, b));
        ServerConfig.Environment none = new ServerConfig.Environment(Map.of("HOME", temp.toString()), false, temp);
        assertThat(ServerConfig.load(Optional.of(yaml), none).trustedKeys()).extracting(k -> k.render())
                .containsExactly(a, b);
        ServerConfig.Environment env = new ServerConfig.Environment(Map.of("HOME", temp.toString(),
                "FERRY_CACHE_TRUSTED_KEYS", a + " " + b), false, temp);
        assertThat(ServerConfig.load(Optional.empty(), env).trustedKeys()).hasSize(2);
        assertThat(ServerConfig.load(Optional.empty(), none).trustedKeys()).isEmpty();
        ServerConfig.Environment bad = new ServerConfig.Environment(Map.of("HOME", temp.toString(),
                "FERRY_CACHE_TRUSTED_KEYS", "ops-1:notbase64!"), false, temp);
        assertThatThrownBy(() -> ServerConfig.load(Optional.empty(), bad)).isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("ferry.cache.trusted-keys").hasMessageContaining("ops-1:notbase64!");
        assertThat(ConfigCheck.check(Optional.of(yaml), none).problems()).isEmpty();
    }

    /** Never asked to build in these tests. */
    private static final class NoPipeline implements dev.ferry.builder.BuildPipeline {
        @Override
        public dev.ferry.builder.BuildResult build(dev.ferry.builder.BuildRequest request,
                                                   dev.ferry.builder.BuildContext context) {
            throw new AssertionError("no build expected");
        }

        @Override
        public OptionalLong teardown(dev.ferry.builder.TeardownRequest request) {
            throw new AssertionError("no teardown expected");
        }
    }
}
