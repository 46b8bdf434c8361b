package dev.ferry.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ferry.builder.NixRunner;
import dev.ferry.builder.PipelineSettings;
import dev.ferry.builder.Project;
import dev.ferry.builder.TestRepository;
import dev.ferry.cache.CacheUri;
import dev.ferry.cache.Compression;
import dev.ferry.process.Command;
import dev.ferry.webhook.Signatures;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;

/**
 * The real server for the end-to-end build tests: {@link FerryServer#start} as {@code ferry serve} runs it, with
 * {@link PipelineFactory#nix} (real JGit, nix and a directory cache), SQLite in a temporary data dir, one project
 * {@code shop} whose clone URL is a bare repository made by the test, and forge deliveries signed as a forge would.
 */
final class BuildLoopHarness implements AutoCloseable {
    static final String SECRET = "webhook-secret-e2e-0123456789";
    static final String ADMIN = "admin-token-e2e-0123456789abcdef";
    static final String DOMAIN = "ferry.test";
    static final ObjectMapper JSON = new ObjectMapper();
    private static final Path PAYLOADS = Path.of("..", "webhook", "src", "test", "resources", "dev", "ferry",
            "webhook").toAbsolutePath().normalize();

    final Path dir;
    final Path dataDir;
    final TestRepository repo;
    final NixRunner nix = new NixRunner();
    private final int maxConcurrentBuilds;
    /** Whether {@link #start} configures project {@code shop} (false: as if removed from {@code ferry.projects}). */
    boolean configured = true;
    FerryServer server;

    BuildLoopHarness(Path dir, int maxConcurrentBuilds) {
        this.dir = dir;
        this.dataDir = dir.resolve("data");
        this.maxConcurrentBuilds = maxConcurrentBuilds;
        this.repo = TestRepository.create(dir);
        start();
    }

    /** Starts (or starts again, on the same data dir) the server. */
    void start() {
        try {
            Files.createDirectories(dir.resolve("secrets"));
            Path secret = Files.writeString(dir.resolve("secrets/webhook"), SECRET + "\n");
            Path admin = Files.writeString(dir.resolve("secrets/admin"), ADMIN + "\n");
            ServerConfig config = new ServerConfig(dataDir, "127.0.0.1", 0,
                    CacheUri.parse(dataDir.resolve("cache").toUri().toString()), dataDir.resolve("keys/cache.sec"),
                    true, Compression.ZSTD, Optional.empty(), ServerConfig.DEFAULT_MAX_UPLOAD_SIZE);
            List<BuilderSettings.ConfiguredProject> projects = configured ? List.of(new BuilderSettings.ConfiguredProject(
                    new Project("shop", repo.url(), "main"), Optional.empty())) : List.of();
            BuilderSettings settings = new BuilderSettings(projects, Optional.of(secret), 1L << 20,
                    Optional.of(admin), false, maxConcurrentBuilds, false);
            server = FerryServer.start(config, Optional.of(settings), PipelineFactory.nix(
                    PipelineSettings.defaults(dataDir).withEphemeralDomain(DOMAIN), nix));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The example project with a marker unique to this run in every package, so that nix really builds it. */
    String commitExample(String message) {
        String marker = UUID.randomUUID().toString();
        return repo.writeExample()
                .edit("worker/worker.sh", "# Ferry's example worker", "# Ferry's example worker (" + marker + ")")
                .edit("web/server.py", "VERSION = \"1.0.0\"", "VERSION = \"1.0.0+" + marker + "\"")
                .edit("site/index.html", "</body>", "<!-- " + marker + " --></body>")
                .commit(message);
    }

    /** A forge's documented payload ({@code webhook} test resources) pointed at this test's repository. */
    static ObjectNode payload(String file, String cloneUrl) {
        try {
            ObjectNode node = (ObjectNode) JSON.readTree(PAYLOADS.resolve(file).toFile());
            ((ObjectNode) node.get("repository")).put("clone_url", cloneUrl);
            return node;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Forgejo's push payload for {@code after} on {@code branch}. */
    ObjectNode push(String branch, String after) {
        ObjectNode push = payload("forgejo-push.json", repo.url());
        push.put("ref", "refs/heads/" + branch).put("after", after);
        return push;
    }

    /** POST /webhook signed as {@code forge} ({@code Forgejo}, {@code Gitea}, {@code GitHub}) signs it. */
    HttpResponse<byte[]> deliver(String forge, String event, String body) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        String signature = Signatures.sign(SECRET.getBytes(StandardCharsets.UTF_8), bytes);
        String delivery = UUID.randomUUID().toString();
        String[] headers = switch (forge) {
            case "GitHub" -> new String[] {"X-GitHub-Event", event, "X-GitHub-Delivery", delivery,
                "X-Hub-Signature-256", "sha256=" + signature};
            default -> new String[] {"X-" + forge + "-Event", event, "X-" + forge + "-Delivery", delivery,
                "X-" + forge + "-Signature", signature};
        };
        List<String> all = new ArrayList<>(List.of("Content-Type", "application/json"));
        all.addAll(List.of(headers));
        return Http.send("POST", uri("/webhook"), bytes, all.toArray(String[]::new));
    }

    /** Delivers and returns the id of the build (or teardown) the webhook queued, asserting 202. */
    long deliverQueued(String forge, String event, JsonNode body) {
        HttpResponse<byte[]> response = deliver(forge, event, body.toString());
        assertThat(response.statusCode()).as(Http.text(response)).isEqualTo(202);
        return Http.json(response).get("build").get("id").asLong();
    }

    URI uri(String path) {
        return URI.create(server.url() + path);
    }

    JsonNode get(String path) {
        HttpResponse<byte[]> response = Http.send("GET", uri(path), new byte[0], "Authorization", "Bearer " + ADMIN);
        assertThat(response.statusCode()).as(path + ": " + Http.text(response)).isEqualTo(200);
        return Http.json(response);
    }

    /** {@code method path} with the admin token and no body. */
    HttpResponse<byte[]> admin(String method, String path) {
        return Http.send(method, uri(path), new byte[0], "Authorization", "Bearer " + ADMIN);
    }

    String log(long build) {
        return Http.text(Http.send("GET", uri("/v1/builds/" + build + "/log"), new byte[0],
                "Authorization", "Bearer " + ADMIN));
    }

    /** Polls GET /v1/builds/{id} until it leaves queued/running (or {@code timeout}), and returns it. */
    JsonNode awaitEnd(long id, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            JsonNode build = get("/v1/builds/" + id);
            String status = build.get("status").asText();
            if (!status.equals("queued") && !status.equals("running")) {
                return build;
            }
            assertThat(System.nanoTime()).as("build %d still %s: %s", id, status, build).isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    JsonNode awaitStatus(long id, String status) throws InterruptedException {
        JsonNode build = awaitEnd(id, Duration.ofMinutes(5));
        assertThat(build.get("status").asText()).as(build + "\nlog:\n" + log(id)).isEqualTo(status);
        return build;
    }

    /** The newest valid generation of GET /v1/generations: service or site name to store path (sites: name only). */
    Map<String, String> newestGeneration() {
        JsonNode newest = get("/v1/generations").get("generations").get(0);
        Map<String, String> services = new TreeMap<>();
        newest.get("services").forEach(s -> services.put(s.get("name").asText(), s.get("storePath").asText()));
        newest.get("sites").forEach(s -> services.put(s.asText(), ""));
        return services;
    }

    long generationCount() {
        return get("/v1/generations").get("generations").size();
    }

    Optional<JsonNode> deployment(String name) {
        for (JsonNode deployment : get("/v1/deployments").get("deployments")) {
            if (deployment.get("name").asText().equals(name)) {
                return Optional.of(deployment);
            }
        }
        return Optional.empty();
    }

    /** {@code nix build --no-link --json <clone>#<package>} for each package: what nix gives for the checkout. */
    Map<String, String> nixBuild(String... packages) {
        Map<String, String> outputs = new TreeMap<>();
        for (String name : packages) {
            String out = nix.run(Command.of("nix", "build", "--no-link", "--json", repo.work + "#" + name)
                    .directory(repo.work)).stdout();
            try {
                outputs.put(name, JSON.readTree(out).get(0).path("outputs").path("out").asText());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return outputs;
    }

    @Override
    public void close() {
        if (server != null) {
            server.close();
            server = null;
        }
    }
}
