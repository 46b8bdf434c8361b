package dev.ferry.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.cache.Manifest;
import dev.ferry.cache.ManifestStore;
import dev.ferry.cache.ManifestVerifier;
import dev.ferry.nix.SecretKey;
import dev.ferry.nix.StorePath;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code GET /v1/manifest/wait} and {@code /v1/hosts} of the assembled server: how fast an agent learns. */
class ManifestWaitIT {
    @TempDir
    Path temp;

    @Test
    void aWaitingAgentLearnsOfANewGenerationWithinASecond() throws Exception {
        ServerConfig config = ServerConfig.load(Optional.empty(), new ServerConfig.Environment(
                Map.of("FERRY_DATA_DIR", temp.toString(), "FERRY_SERVER_PORT", "0"), false, temp));
        try (FerryServer server = FerryServer.start(config)) {
            SecretKey key = SecretKey.parse(Files.readString(temp.resolve("keys/cache-secret.key")));
            ManifestStore manifests = ManifestStore.create(server.storage());
            write(manifests, key, "a");
            String base = server.url();

            HttpResponse<byte[]> now = Http.get(URI.create(base + "/v1/manifest/wait?after=0"));
            assertThat(now.statusCode()).isEqualTo(200);
            assertThat(new String(now.body(), StandardCharsets.UTF_8)).contains("\"generation\": 1");
            assertThat(Http.get(URI.create(base + "/v1/manifest/wait?after=x")).statusCode()).isEqualTo(400);
            // No deployer runs or reports here: the host the manifest names is listed as such.
            assertThat(new String(Http.get(URI.create(base + "/v1/hosts")).body(), StandardCharsets.UTF_8))
                    .contains("\"host\" : \"h\"", "\"mode\" : \"unreported\"", "\"expected\" : [ \"svc\" ]");

            // Written by another process (no notifier): the storage re-check finds it.
            for (boolean notify : List.of(false, true)) {
                long after = manifests.top();
                CompletableFuture<HttpResponse<byte[]>> waiting = CompletableFuture.supplyAsync(() ->
                        Http.get(URI.create(base + "/v1/manifest/wait?after=" + after)));
                Thread.sleep(500);
                assertThat(waiting).isNotDone();
                long written = System.nanoTime();
                write(manifests, key, notify ? "c" : "b");
                if (notify) {
                    server.deployer().notifier().written(after + 1);
                }
                HttpResponse<byte[]> answer = waiting.get();
                long millis = Duration.ofNanos(System.nanoTime() - written).toMillis();
                System.out.printf("ManifestWaitIT: learned of generation %d %d ms after it was written (%s)%n",
                        after + 1, millis, notify ? "notified" : "storage re-check");
                assertThat(answer.statusCode()).isEqualTo(200);
                assertThat(new String(answer.body(), StandardCharsets.UTF_8))
                        .contains("\"generation\": " + (after + 1));
                assertThat(millis).isLessThan(1000);
            }
        }
    }

    /** A generation with one service whose (made-up) store path has a narinfo in the cache. */
    private void write(ManifestStore manifests, SecretKey key, String marker) throws Exception {
        StorePath path = StorePath.parse("/nix/store/" + marker.repeat(32) + "-svc");
        Files.writeString(temp.resolve("cache").resolve(path.hashPart() + ".narinfo"), "placeholder");
        Manifest.Service service = new Manifest.Service("svc", Manifest.Artifact.nixClosure(path), List.of("h"),
                new Manifest.Exec("serve", List.of(), Optional.empty(), Optional.empty()), Map.of(), Optional.empty(),
                Optional.of(new Manifest.Http("svc.test", List.of(), "/", OptionalInt.empty())), Optional.empty(),
                Manifest.Systemd.DEFAULT, Manifest.Hardening.DEFAULT, Optional.empty());
        manifests.update(key, ManifestVerifier.trusting(List.of(key.publicKey())), marker, m -> m.withService(service));
    }
}
