package dev.ferry.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ferry.builder.BuildContext;
import dev.ferry.builder.BuildFailedException;
import dev.ferry.builder.BuildPipeline;
import dev.ferry.builder.BuildRequest;
import dev.ferry.builder.BuildRef;
import dev.ferry.builder.BuildResult;
import dev.ferry.builder.Deployment;
import dev.ferry.builder.DeploymentStore;
import dev.ferry.builder.Phase;
import dev.ferry.builder.Project;
import dev.ferry.builder.TeardownRequest;
import dev.ferry.cache.CacheUri;
import dev.ferry.cache.Compression;
import dev.ferry.webhook.Signatures;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The webhook and the JSON API in-process ({@link FerryServer#start} as {@code ferry serve}), with a fake pipeline. */
class BuildsRoutesTest {
    static final String SECRET = "webhook-secret-0123456789";
    static final String ADMIN = "admin-token-0123456789abcdef";
    static final String CLONE_URL = "https://git.example.org/alice/shop.git";

    @TempDir
    Path temp;
    Path dataDir;
    FerryServer server;
    Pipeline pipeline = new Pipeline();
    boolean forkPullRequests;
    /** Configured after {@code shop}. */
    List<BuilderSettings.ConfiguredProject> moreProjects = new ArrayList<>();

    /** Records what it was asked; builds wait for {@link #hold}. */
    static final class Pipeline implements BuildPipeline {
        final List<String> built = new CopyOnWriteArrayList<>();
        final List<String> tornDown = new CopyOnWriteArrayList<>();
        final List<TeardownRequest> teardowns = new CopyOnWriteArrayList<>();
        volatile CountDownLatch hold = new CountDownLatch(0);
        /** The server's deployments table, handed to the pipeline as to the real one. */
        volatile DeploymentStore deployments;

        @Override
        public BuildResult build(BuildRequest request, BuildContext context) {
            context.enter(Phase.FETCH);
            try {
                context.log().write(("fetching " + request.commit() + "\n").getBytes(StandardCharsets.UTF_8));
                context.log().flush();
                hold.await();
                context.log().write("built\n".getBytes(StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                throw new BuildFailedException("killed");
            }
            context.enter(Phase.BUILD);
            if (!context.beginRelease()) {
                throw new BuildFailedException("cancelled");
            }
            built.add(request.ref().deploymentName(request.project()) + "@" + request.commit());
            return new BuildResult(Map.of("web", "/nix/store/aaaa-web"), OptionalLong.empty());
        }

        @Override
        public OptionalLong teardown(TeardownRequest request) {
            teardowns.add(request);
            tornDown.add(request.deployment());
            deployments.delete(request.deployment());
            return OptionalLong.empty();
        }
    }

    @BeforeEach
    void start() throws IOException {
        start(false);
    }

    void start(boolean publicRead) throws IOException {
        dataDir = temp.resolve("data");
        Files.createDirectories(temp.resolve("secrets"));
        Path secret = Files.writeString(temp.resolve("secrets/webhook"), SECRET + "\n");
        Path admin = Files.writeString(temp.resolve("secrets/admin"), ADMIN + "\n");
        ServerConfig config = new ServerConfig(dataDir, "127.0.0.1", 0,
                CacheUri.parse(dataDir.resolve("cache").toUri().toString()), dataDir.resolve("keys/cache.sec"), true,
                Compression.ZSTD, Optional.empty(), ServerConfig.DEFAULT_MAX_UPLOAD_SIZE);
        List<BuilderSettings.ConfiguredProject> projects = new ArrayList<>(List.of(new BuilderSettings.ConfiguredProject(
                new Project("shop", CLONE_URL, "main"), Optional.empty())));
        projects.addAll(moreProjects);
        BuilderSettings settings = new BuilderSettings(projects, Optional.of(secret), 4096,
                Optional.of(admin), publicRead, 2, forkPullRequests);
        server = FerryServer.start(config, Optional.of(settings), resources -> {
            pipeline.deployments = resources.deployments();
            return pipeline;
        });
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    static String commit(int i) {
        return String.format("%040x", i);
    }

    static String push(String fullName, String cloneUrl, String ref, String after, boolean deleted) {
        return """
                {"ref": "%s", "before": "%s", "after": "%s", "deleted": %s,
                 "repository": {"full_name": "%s", "clone_url": "%s", "html_url": "%s"}}
                """.formatted(ref, commit(0), after, deleted, fullName, cloneUrl, cloneUrl.replace(".git", ""));
    }

    static String push(String branch, String after) {
        return push("alice/shop", CLONE_URL, "refs/heads/" + branch, after, false);
    }

    HttpResponse<byte[]> deliver(String event, String body, String delivery, String... extra) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        List<String> headers = new ArrayList<>(List.of("Content-Type", "application/json",
                "X-Gitea-Event", event, "X-Gitea-Delivery", delivery,
                "X-Gitea-Signature", Signatures.sign(SECRET.getBytes(StandardCharsets.UTF_8), bytes)));
        for (int i = 0; i < extra.length; i += 2) {
            int at = headers.indexOf(extra[i]);
            if (at >= 0) {
                headers.set(at + 1, extra[i + 1]);
            } else {
                headers.add(extra[i]);
                headers.add(extra[i + 1]);
            }
        }
        headers.removeIf(h -> h.equals("REMOVE"));
        List<String> clean = new ArrayList<>();
        for (int i = 0; i < headers.size(); i += 2) {
            if (!headers.get(i + 1).equals("-")) {
                clean.add(headers.get(i));
                clean.add(headers.get(i + 1));
            }
        }
        return Http.send("POST", uri("/webhook"), bytes, clean.toArray(String[]::new));
    }

    java.net.URI uri(String path) {
        return java.net.URI.create(server.url() + path);
    }

    HttpResponse<byte[]> api(String method, String path, String body, String... headers) {
        return Http.send(method, uri(path), body.getBytes(StandardCharsets.UTF_8), headers);
    }

    HttpResponse<byte[]> admin(String method, String path, String body) {
        return api(method, path, body, "Authorization", "Bearer " + ADMIN, "Content-Type", "application/json");
    }

    JsonNode awaitBuild(long id, String status) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            JsonNode build = Http.json(admin("GET", "/v1/builds/" + id, ""));
            if (build.get("status").asText().equals(status) || System.nanoTime() > deadline) {
                assertThat(build.get("status").asText()).as(build.toString()).isEqualTo(status);
                return build;
            }
            Thread.sleep(20);
        }
    }

    List<String> builds() {
        JsonNode list = Http.json(admin("GET", "/v1/builds?limit=500", "")).get("builds");
        List<String> ids = new ArrayList<>();
        list.forEach(b -> ids.add(b.get("id").asText()));
        return ids;
    }

    /** Every file under the data dir except the database's own (which exist from the start). */
    List<String> files() throws IOException {
        try (Stream<Path> walk = Files.walk(dataDir)) {
            return walk.filter(Files::isRegularFile).map(p -> dataDir.relativize(p).toString())
                    .filter(p -> !p.startsWith("ferry.db")).sorted().toList();
        }
    }

    @Test
    void aDeliveryWithoutItsIdIsRefusedBeforeItsBodyIsRead() {
        HttpResponse<byte[]> response = deliver("push", push("main", commit(1)) + " ".repeat(2_000), "-");
        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(Http.text(response)).startsWith("X-Gitea-Delivery is missing");
        assertThat(response.headers().firstValue("connection")).as("the body was left unread").hasValue("close");
        assertThat(pipeline.built).isEmpty();
    }

    @Test
    void aSignedPushIsAnsweredAtOnceAndBuilds() throws Exception {
        HttpResponse<byte[]> response = deliver("push", push("main", commit(1)), "d-1");
        assertThat(response.statusCode()).as(Http.text(response)).isEqualTo(202);
        JsonNode build = Http.json(response).get("build");
        assertThat(Http.json(response).get("duplicate").asBoolean()).isFalse();
        assertThat(build.get("project").asText()).isEqualTo("shop");
        assertThat(build.get("branch").asText()).isEqualTo("main");
        assertThat(build.get("commit").asText()).isEqualTo(commit(1));
        assertThat(build.get("deliveryId").asText()).isEqualTo("d-1");
        JsonNode done = awaitBuild(build.get("id").asLong(), "succeeded");
        assertThat(done.get("outputs").get("web").asText()).isEqualTo("/nix/store/aaaa-web");
        assertThat(done.get("phases")).extracting(p -> p.get("phase").asText())
                .containsExactly("queued", "fetch", "build", "release");
        assertThat(pipeline.built).containsExactly("shop-main@" + commit(1));
    }

    @Test
    void badInputIsRefusedWithNoBuildRowAndNoFilesWritten() throws Exception {
        List<String> filesBefore = files();
        String good = push("main", commit(1));
        String signature = Signatures.sign(SECRET.getBytes(StandardCharsets.UTF_8),
                good.getBytes(StandardCharsets.UTF_8));
        Map<String, HttpResponse<byte[]>> cases = new java.util.LinkedHashMap<>();
        cases.put("no signature", deliver("push", good, "b-1", "X-Gitea-Signature", "-"));
        cases.put("wrong signature", deliver("push", good, "b-2", "X-Gitea-Signature",
                Signatures.sign("another-secret-0123456789".getBytes(StandardCharsets.UTF_8),
                        good.getBytes(StandardCharsets.UTF_8))));
        cases.put("signature for another body", deliver("push", push("main", commit(2)), "b-3",
                "X-Gitea-Signature", signature));
        cases.put("malformed signature", deliver("push", good, "b-4", "X-Gitea-Signature", "zz" + signature));
        cases.put("oversize body", deliver("push", good + " ".repeat(5000), "b-5"));
        cases.put("malformed JSON", deliver("push", "{\"ref\": ", "b-6"));
        cases.put("unknown repository", deliver("push", push("bob/other", "https://git.example.org/bob/other.git",
                "refs/heads/main", commit(1), false), "b-7"));
        cases.put("unknown event", deliver("issues", "{\"action\": \"opened\"}", "b-8"));
        cases.put("no forge headers", deliver("push", good, "b-9", "X-Gitea-Event", "-"));
        Map<String, Integer> expected = Map.of("no signature", 401, "wrong signature", 401,
                "signature for another body", 401, "malformed signature", 401, "oversize body", 413,
                "malformed JSON", 400, "unknown repository", 404, "unknown event", 422, "no forge headers", 400);
        cases.forEach((what, response) -> assertThat(response.statusCode()).as(what + ": " + Http.text(response))
                .isEqualTo(expected.get(what)));
        assertThat(Http.text(cases.get("unknown repository"))).contains("bob/other");
        assertThat(Http.text(cases.get("wrong signature"))).doesNotContain(SECRET);
        assertThat(builds()).isEmpty();
        assertThat(files()).isEqualTo(filesBefore);
        assertThat(pipeline.built).isEmpty();
    }

    /** Restarts the server with {@code projects} configured after {@code shop}. */
    void restartWith(BuilderSettings.ConfiguredProject... projects) throws IOException {
        server.close();
        server = null;
        moreProjects = List.of(projects);
        start(false);
    }

    static BuilderSettings.ConfiguredProject configured(String name, String cloneUrl) {
        return new BuilderSettings.ConfiguredProject(new Project(name, cloneUrl, "main"), Optional.empty());
    }

    @Test
    void aDeliveryGoesToTheProjectItsUrlNamesExactlyBeforeOneThatOnlyEndsInItsFullName() throws Exception {
        // acme sorts first and ends in /alice/shop; shop is the URL the forge sends.
        restartWith(configured("acme", "https://mirror.example/alice/shop.git"));
        HttpResponse<byte[]> response = deliver("push", push("main", commit(1)), "m-1");
        assertThat(response.statusCode()).as(Http.text(response)).isEqualTo(202);
        assertThat(Http.json(response).get("build").get("project").asText()).isEqualTo("shop");
        // A URL neither has exactly: both end in /alice/shop, so neither is chosen by name order.
        HttpResponse<byte[]> mirrored = deliver("push", push("alice/shop", "https://elsewhere.example/alice/shop.git",
                "refs/heads/main", commit(2), false), "m-2");
        assertThat(mirrored.statusCode()).as(Http.text(mirrored)).isEqualTo(409);
        assertThat(Http.text(mirrored)).isEqualTo("repository alice/shop is claimed equally by projects acme, shop "
                + "(each ends in /alice/shop); a delivery goes to one project only: keep one of them, or give one "
                + "the repository's own URL\n");
    }

    @Test
    void aDeliveryTwoProjectsClaimEquallyIsRefusedNamingThem() throws Exception {
        restartWith(configured("shop-copy", CLONE_URL + "/"), configured("blog", "https://git.example.org/alice/blog.git"));
        List<String> filesBefore = files();
        HttpResponse<byte[]> response = deliver("push", push("main", commit(1)), "a-1");
        assertThat(response.statusCode()).as(Http.text(response)).isEqualTo(409);
        assertThat(Http.text(response)).isEqualTo("repository alice/shop is claimed equally by projects shop, "
                + "shop-copy (each has its URL); a delivery goes to one project only: keep one of them\n");
        HttpResponse<byte[]> ping = deliver("ping", ping("alice/shop", CLONE_URL), "a-2");
        assertThat(ping.statusCode()).as(Http.text(ping)).isEqualTo(409);
        assertThat(builds()).isEmpty();
        assertThat(files()).isEqualTo(filesBefore);
        // Other repositories are not affected.
        assertThat(deliver("push", push("alice/blog", "https://git.example.org/alice/blog.git", "refs/heads/main",
                commit(3), false), "a-3").statusCode()).isEqualTo(202);
    }

    /** Which projects claim a repository is told only to a sender whose signature every one of them accepts. */
    @Test
    void anEqualClaimIsNotToldToASenderOneClaimantWouldRefuse() throws Exception {
        Path own = Files.createDirectories(temp.resolve("secrets")).resolve("copy");
        Files.writeString(own, "copy-own-secret-0123456789\n");
        restartWith(new BuilderSettings.ConfiguredProject(new Project("shop-copy", CLONE_URL + "/", "main"),
                Optional.of(own)));
        String body = push("main", commit(1));
        for (String secret : List.of(SECRET, "copy-own-secret-0123456789")) {
            HttpResponse<byte[]> response = deliver("push", body, "s-" + secret.length(), "X-Gitea-Signature",
                    Signatures.sign(secret.getBytes(StandardCharsets.UTF_8), body.getBytes(StandardCharsets.UTF_8)));
            assertThat(response.statusCode()).as(Http.text(response)).isEqualTo(401);
            assertThat(Http.text(response)).isEqualTo("repository alice/shop is claimed by several projects, and not "
                    + "every one of them accepts this signature: its deliveries are refused until the server's "
                    + "operator keeps one of them (the server's log names them)\n").doesNotContain("shop-copy");
        }
        assertThat(builds()).isEmpty();
    }

    static String ping(String fullName, String cloneUrl) {
        return """
                {"zen": "Encourage flow.", "hook_id": 7, "hook": {"type": "Repository", "events": ["push"]},
                 "repository": {"full_name": "%s", "clone_url": "%s", "html_url": "%s"}}
                """.formatted(fullName, cloneUrl, cloneUrl.replace(".git", ""));
    }

    @Test
    void aPingIsCheckedAsAPushIsBeforeItIsAnswered() throws Exception {
        Path own = Files.writeString(temp.resolve("secrets/blog"), "blog-own-secret-0123456789\n");
        restartWith(new BuilderSettings.ConfiguredProject(new Project("blog", "https://git.example.org/alice/blog.git",
                "main"), Optional.of(own)));
        HttpResponse<byte[]> good = deliver("ping", ping("alice/shop", CLONE_URL), "p-1");
        assertThat(good.statusCode()).as(Http.text(good)).isEqualTo(200);
        assertThat(Http.json(good).get("project").asText()).isEqualTo("shop");
        assertThat(Http.json(good).get("event").asText()).isEqualTo("ping");
        HttpResponse<byte[]> unknown = deliver("ping", ping("bob/other", "https://git.example.org/bob/other.git"),
                "p-2");
        assertThat(unknown.statusCode()).as(Http.text(unknown)).isEqualTo(404);
        assertThat(Http.text(unknown)).contains("bob/other");
        // Signed with the shared secret, for a project that has its own: its pushes would be 401, so is its ping.
        HttpResponse<byte[]> shared = deliver("ping", ping("alice/blog", "https://git.example.org/alice/blog.git"),
                "p-3");
        assertThat(shared.statusCode()).as(Http.text(shared)).isEqualTo(401);
        assertThat(Http.text(shared)).contains("project blog");
        String body = ping("alice/blog", "https://git.example.org/alice/blog.git");
        HttpResponse<byte[]> ownSigned = deliver("ping", body, "p-4", "X-Gitea-Signature", Signatures.sign(
                "blog-own-secret-0123456789".getBytes(StandardCharsets.UTF_8), body.getBytes(StandardCharsets.UTF_8)));
        assertThat(ownSigned.statusCode()).as(Http.text(ownSigned)).isEqualTo(200);
        assertThat(Http.json(ownSigned).get("project").asText()).isEqualTo("blog");
        HttpResponse<byte[]> malformed = deliver("ping", "{\"repository\": {\"full_name\": \"alice/shop\"}}", "p-5");
        assertThat(malformed.statusCode()).as(Http.text(malformed)).isEqualTo(400);
        assertThat(builds()).isEmpty();
    }

    @Test
    void aPushToAnInvalidBranchNameIsRefusedWithNothingRecorded() throws Exception {
        List<String> filesBefore = files();
        int n = 0;
        for (String ref : List.of("refs/heads/", "refs/heads/a b", "refs/heads/../../etc", "refs/heads/a\\nb",
                "refs/heads/feat~1")) {
            HttpResponse<byte[]> response = deliver("push", push("alice/shop", CLONE_URL, ref, commit(1), false),
                    "r-" + n++);
            assertThat(response.statusCode()).as(ref + ": " + Http.text(response)).isEqualTo(400);
            assertThat(Http.text(response)).startsWith("ref '").contains("is not a valid branch name")
                    .doesNotContain("\n'").doesNotContainPattern("[\\x00-\\x09\\x0b-\\x1f]");
        }
        assertThat(Http.text(deliver("push", push("alice/shop", CLONE_URL, "refs/heads/a\\nb", commit(1), false),
                "r-x"))).isEqualTo("ref 'refs/heads/a\\nb' is not a valid branch name\n");
        assertThat(deliver("delete", """
                {"ref": "feat~1", "ref_type": "branch", "repository": {"full_name": "alice/shop", "clone_url": "%s",
                 "html_url": "https://git.example.org/alice/shop"}}""".formatted(CLONE_URL), "r-d").statusCode())
                .isEqualTo(400);
        assertThat(builds()).isEmpty();
        assertThat(files()).isEqualTo(filesBefore);
    }

    @Test
    void theApiRefusesFieldsItDoesNotKnow() {
        HttpResponse<byte[]> build = admin("POST", "/v1/projects/shop/builds", "{\"brnch\": \"s2\"}");
        assertThat(build.statusCode()).as(Http.text(build)).isEqualTo(400);
        assertThat(Http.text(build)).isEqualTo("unknown field 'brnch' (known: branch, commit)\n");
        HttpResponse<byte[]> project = admin("POST", "/v1/projects", "{\"name\": \"blog\", \"cloneUrl\": "
                + "\"https://git.example.org/alice/blog.git\", \"production_branch\": \"trunk\"}");
        assertThat(project.statusCode()).as(Http.text(project)).isEqualTo(400);
        assertThat(Http.text(project)).isEqualTo("unknown field 'production_branch' (known: name, cloneUrl, "
                + "productionBranch)\n");
        HttpResponse<byte[]> control = admin("POST", "/v1/projects/shop/builds", "{\"commit\": \"" + commit(1)
                + "\", \"x\\u001b\": 1}");
        assertThat(Http.text(control)).isEqualTo("unknown field 'x\\u001b' (known: branch, commit)\n");
        assertThat(builds()).isEmpty();
        assertThat(Http.json(admin("GET", "/v1/projects", "")).get("projects")).hasSize(1);
    }

    @Test
    void aProjectForARepositoryAnotherProjectHasIsRefused() {
        HttpResponse<byte[]> same = admin("POST", "/v1/projects", "{\"name\": \"shop2\", \"cloneUrl\": \""
                + CLONE_URL.replace("https://git", "https://bot:t0ken@GIT") + "/\"}");
        assertThat(same.statusCode()).as(Http.text(same)).isEqualTo(409);
        assertThat(Http.text(same)).isEqualTo("project shop has that repository already (" + CLONE_URL
                + "); a repository's webhooks can go to one project only\n");
        assertThat(admin("POST", "/v1/projects", "{\"name\": \"shop3\", \"cloneUrl\": "
                + "\"https://mirror.example/alice/shop.git\"}").statusCode()).isEqualTo(201);
    }

    @Test
    void aRepeatedDeliveryReturnsTheEarlierBuildAndStartsNothing() throws Exception {
        HttpResponse<byte[]> first = deliver("push", push("main", commit(1)), "same-id");
        HttpResponse<byte[]> again = deliver("push", push("main", commit(1)), "same-id");
        assertThat(first.statusCode()).isEqualTo(202);
        assertThat(again.statusCode()).isEqualTo(200);
        assertThat(Http.json(again).get("duplicate").asBoolean()).isTrue();
        assertThat(Http.json(again).get("build").get("id")).isEqualTo(Http.json(first).get("build").get("id"));
        awaitBuild(Http.json(first).get("build").get("id").asLong(), "succeeded");
        assertThat(builds()).hasSize(1);
        assertThat(pipeline.built).hasSize(1);
    }

    @Test
    void concurrentDeliveriesAreRecordedTogetherOneBuildPerDeliveryIdAndTheNewestOfEachBranchBuilt()
            throws Exception {
        pipeline.hold = new CountDownLatch(1); // the first builds wait, so the later ones queue and supersede
        int deliveries = 40;
        List<java.util.concurrent.Future<HttpResponse<byte[]>>> answers = new ArrayList<>();
        try (var pool = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            CountDownLatch go = new CountDownLatch(1);
            for (int i = 0; i < deliveries; i++) {
                // ids c-0 .. c-29, the last ten repeat c-0 .. c-9 with the same body
                int n = i < 30 ? i : i - 30;
                answers.add(pool.submit(() -> {
                    go.await();
                    return deliver("push", push("b" + (n % 4), commit(n + 1)), "c-" + n);
                }));
            }
            go.countDown();
        }
        Map<String, Long> buildOfDelivery = new java.util.HashMap<>();
        for (var answer : answers) {
            HttpResponse<byte[]> response = answer.get();
            assertThat(response.statusCode()).as(Http.text(response)).isIn(200, 202);
            JsonNode build = Http.json(response).get("build");
            Long earlier = buildOfDelivery.putIfAbsent(build.get("deliveryId").asText(), build.get("id").asLong());
            if (earlier != null) {
                assertThat(build.get("id").asLong()).as("a repeat gets the same build").isEqualTo(earlier);
            }
        }
        assertThat(buildOfDelivery).hasSize(30);
        assertThat(answers.stream().filter(a -> a.resultNow().statusCode() == 202)).hasSize(30);
        pipeline.hold.countDown();
        assertThat(builds()).hasSize(30);
        for (int branch = 0; branch < 4; branch++) {
            int b = branch;
            // The build recorded last for a branch (the highest id) runs to the end, and its commit is what is built.
            long newest = buildOfDelivery.entrySet().stream()
                    .filter(e -> Integer.parseInt(e.getKey().substring(2)) % 4 == b)
                    .mapToLong(Map.Entry::getValue).max().orElseThrow();
            JsonNode last = awaitBuild(newest, "succeeded");
            assertThat(pipeline.built).contains("shop-b" + branch + "@" + last.get("commit").asText());
        }
        // Every other build ended: cancelled (superseded) or, for the first of a branch, succeeded.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            JsonNode list = Http.json(admin("GET", "/v1/builds?limit=500", "")).get("builds");
            long unfinished = 0;
            for (JsonNode b : list) {
                String status = b.get("status").asText();
                if (status.equals("queued") || status.equals("running")) {
                    unfinished++;
                } else {
                    assertThat(status).as(b.toString()).isIn("succeeded", "cancelled");
                }
            }
            if (unfinished == 0 || System.nanoTime() > deadline) {
                assertThat(unfinished).isZero();
                break;
            }
            Thread.sleep(20);
        }
    }

    @Test
    void tagPushesAndPingsStartNothing() {
        HttpResponse<byte[]> tag = deliver("push", push("alice/shop", CLONE_URL, "refs/tags/v1", commit(1), false),
                "t-1");
        assertThat(tag.statusCode()).isEqualTo(202);
        assertThat(Http.json(tag).get("ignored").asText()).contains("refs/tags/v1");
        // A ping that names no repository (GitHub's organisation and app hooks) is checked for its signature only.
        HttpResponse<byte[]> ping = deliver("ping", "{\"zen\": \"Encourage flow.\"}", "p-1");
        assertThat(ping.statusCode()).isEqualTo(200);
        assertThat(Http.json(ping).has("project")).isFalse();
        assertThat(builds()).isEmpty();
    }

    @Test
    void branchDeletionAndPullRequestCloseTearDown() throws Exception {
        HttpResponse<byte[]> deleted = deliver("push", push("alice/shop", CLONE_URL, "refs/heads/feature",
                commit(0), true), "del-1");
        assertThat(deleted.statusCode()).isEqualTo(202);
        assertThat(Http.json(deleted).get("build").get("action").asText()).isEqualTo("teardown");
        awaitBuild(Http.json(deleted).get("build").get("id").asLong(), "succeeded");

        String pr = """
                {"action": "%s", "number": 3, "pull_request": {"head": {"sha": "%s", "ref": "fix",
                                                                         "repo": {"full_name": "alice/shop"}}},
                 "repository": {"full_name": "alice/shop", "clone_url": "%s", "html_url": "https://x/alice/shop"}}
                """;
        HttpResponse<byte[]> opened = deliver("pull_request", pr.formatted("opened", commit(5), CLONE_URL), "pr-1");
        awaitBuild(Http.json(opened).get("build").get("id").asLong(), "succeeded");
        assertThat(Http.json(opened).get("build").get("ref").get("slug").asText()).isEqualTo("pr-3");
        HttpResponse<byte[]> closed = deliver("pull_request", pr.formatted("closed", commit(5), CLONE_URL), "pr-2");
        awaitBuild(Http.json(closed).get("build").get("id").asLong(), "succeeded");
        assertThat(pipeline.tornDown).containsExactly("shop-feature", "shop-pr-3");
        assertThat(pipeline.built).containsExactly("shop-pr-3@" + commit(5));
    }

    @Test
    void pullRequestsFromForksAreNotBuiltUnlessTheOperatorSaysSo() throws Exception {
        String pr = """
                {"action": "%s", "number": 4, "pull_request": {"head": {"sha": "%s", "ref": "main",
                                                                         "repo": {"full_name": "mallory/shop"}}},
                 "repository": {"full_name": "alice/shop", "clone_url": "%s", "html_url": "https://x/alice/shop"}}
                """;
        HttpResponse<byte[]> ignored = deliver("pull_request", pr.formatted("opened", commit(6), CLONE_URL), "f-1");
        assertThat(ignored.statusCode()).as(Http.text(ignored)).isEqualTo(202);
        assertThat(Http.json(ignored).get("ignored").asText()).isEqualTo("pull request #4 is from another "
                + "repository, mallory/shop; pull requests from forks are built only with "
                + "ferry.webhook.fork-pull-requests: true");
        assertThat(Http.json(admin("GET", "/v1/builds", "")).get("builds")).isEmpty();
        // Closing one is torn down as ever: there may be a deployment from before the setting.
        HttpResponse<byte[]> closed = deliver("pull_request", pr.formatted("closed", commit(6), CLONE_URL), "f-2");
        awaitBuild(Http.json(closed).get("build").get("id").asLong(), "succeeded");

        server.close();
        server = null;
        forkPullRequests = true;
        start(false);
        HttpResponse<byte[]> built = deliver("pull_request", pr.formatted("opened", commit(6), CLONE_URL), "f-3");
        assertThat(built.statusCode()).as(Http.text(built)).isEqualTo(202);
        awaitBuild(Http.json(built).get("build").get("id").asLong(), "succeeded");
        assertThat(pipeline.built).containsExactly("shop-pr-4@" + commit(6));
    }

    @Test
    void theApiNeedsTheAdminToken() {
        assertThat(api("GET", "/v1/builds", "").statusCode()).isEqualTo(401);
        HttpResponse<byte[]> wrong = api("GET", "/v1/projects", "", "Authorization", "Bearer wrong-token-0123456789");
        assertThat(wrong.statusCode()).isEqualTo(401);
        assertThat(Http.text(wrong)).startsWith("the token presented is not the admin token");
        assertThat(Http.text(api("GET", "/v1/builds", ""))).startsWith("the admin token is required");
        assertThat(api("GET", "/v1/projects", "", "Authorization", "Basic " + ADMIN).statusCode()).isEqualTo(401);
        assertThat(admin("GET", "/v1/projects", "").statusCode()).isEqualTo(200);
        assertThat(api("POST", "/v1/projects", "{\"name\": \"x\", \"cloneUrl\": \"https://x/x.git\"}")
                .statusCode()).isEqualTo(401);
        assertThat(api("GET", "/v1/builds", "").headers().firstValue("www-authenticate")).isPresent();
    }

    @Test
    void publicReadOpensReadsOnly() throws Exception {
        server.close();
        server = null;
        start(true);
        assertThat(api("GET", "/v1/builds", "").statusCode()).isEqualTo(200);
        assertThat(api("GET", "/v1/projects", "").statusCode()).isEqualTo(200);
        assertThat(api("GET", "/v1/deployments", "").statusCode()).isEqualTo(200);
        assertThat(admin("POST", "/v1/projects", "{\"name\": \"private\", \"cloneUrl\": "
                + "\"https://deploy:s3cret-token@git.example.org/alice/private.git\"}").statusCode()).isEqualTo(201);
        HttpResponse<byte[]> listed = api("GET", "/v1/projects", "");
        assertThat(Http.json(listed).get("projects")).extracting(p -> p.get("cloneUrl").asText())
                .contains("https://***@git.example.org/alice/private.git");
        assertThat(Http.text(listed)).doesNotContain("s3cret-token");
        assertThat(api("POST", "/v1/projects/shop/builds", "{\"branch\": \"main\", \"commit\": \"" + commit(1)
                + "\"}").statusCode()).isEqualTo(401);
        assertThat(api("DELETE", "/v1/deployments/shop-main", "").statusCode()).isEqualTo(401);
    }

    @Test
    void projectsFromConfigAndTheApi() {
        HttpResponse<byte[]> added = admin("POST", "/v1/projects",
                "{\"name\": \"blog\", \"cloneUrl\": \"https://git.example.org/alice/blog.git\", "
                        + "\"productionBranch\": \"trunk\"}");
        assertThat(added.statusCode()).as(Http.text(added)).isEqualTo(201);
        assertThat(admin("POST", "/v1/projects", "{\"name\": \"blog\", \"cloneUrl\": \"https://x/y.git\"}")
                .statusCode()).isEqualTo(409);
        assertThat(admin("POST", "/v1/projects", "{\"name\": \"Bad Name\", \"cloneUrl\": \"https://x/y.git\"}")
                .statusCode()).isEqualTo(400);
        assertThat(admin("POST", "/v1/projects", "{\"name\": \"ok\", \"cloneUrl\": \"not a url\"}")
                .statusCode()).isEqualTo(400);
        assertThat(admin("POST", "/v1/projects", "[1]").statusCode()).isEqualTo(400);
        JsonNode projects = Http.json(admin("GET", "/v1/projects", "")).get("projects");
        assertThat(projects).extracting(p -> p.get("name").asText() + ":" + p.get("source").asText())
                .containsExactly("blog:api", "shop:config");
        // a push to the API-added project builds it
        HttpResponse<byte[]> push = deliver("push", push("alice/blog", "https://git.example.org/alice/blog.git",
                "refs/heads/trunk", commit(9), false), "blog-1");
        assertThat(push.statusCode()).as(Http.text(push)).isEqualTo(202);
    }

    @Test
    void manualBuildWithACommitAndCancel() throws Exception {
        pipeline.hold = new CountDownLatch(1);
        HttpResponse<byte[]> response = admin("POST", "/v1/projects/shop/builds",
                "{\"branch\": \"feature/x\", \"commit\": \"" + commit(7) + "\"}");
        assertThat(response.statusCode()).as(Http.text(response)).isEqualTo(202);
        long id = Http.json(response).get("id").asLong();
        assertThat(Http.json(response).get("trigger").asText()).isEqualTo("api");
        awaitBuild(id, "running");
        HttpResponse<byte[]> cancel = admin("POST", "/v1/builds/" + id + "/cancel", "");
        assertThat(cancel.statusCode()).as(Http.text(cancel)).isEqualTo(202);
        JsonNode cancelled = awaitBuild(id, "cancelled");
        assertThat(cancelled.get("error").asText()).isEqualTo("cancelled through the API");
        assertThat(admin("POST", "/v1/builds/" + id + "/cancel", "").statusCode()).isEqualTo(409);
        assertThat(admin("POST", "/v1/projects/nope/builds", "{\"branch\": \"main\", \"commit\": \"" + commit(1)
                + "\"}").statusCode()).isEqualTo(404);
        HttpResponse<byte[]> badBranch = admin("POST", "/v1/projects/shop/builds", "{\"branch\": \"a..b\\n\", "
                + "\"commit\": \"" + commit(1) + "\"}");
        assertThat(badBranch.statusCode()).isEqualTo(400);
        assertThat(Http.text(badBranch)).isEqualTo("branch 'a..b\\n' is not a valid branch name\n");
        assertThat(admin("POST", "/v1/projects/shop/builds", "{\"branch\": \"main\", \"commit\": \"HEAD\"}")
                .statusCode()).isEqualTo(400);
        assertThat(admin("GET", "/v1/builds/999", "").statusCode()).isEqualTo(404);
        assertThat(admin("GET", "/v1/builds/abc", "").statusCode()).isEqualTo(404);
    }

    @Test
    void aManualBuildWithoutACommitBuildsTheBranchHeadOfTheRepository() throws Exception {
        Path repo = temp.resolve("repo");
        String head;
        try (org.eclipse.jgit.api.Git git = org.eclipse.jgit.api.Git.init().setDirectory(repo.toFile())
                .setInitialBranch("trunk").call()) {
            Files.writeString(repo.resolve("flake.nix"), "{ outputs = _: { }; }\n");
            git.add().addFilepattern("flake.nix").call();
            head = git.commit().setMessage("first").setAuthor("t", "t@example.org")
                    .setCommitter("t", "t@example.org").setSign(false).call().getName();
        }
        assertThat(admin("POST", "/v1/projects", "{\"name\": \"local\", \"cloneUrl\": \"" + repo.toUri()
                + "\", \"productionBranch\": \"trunk\"}").statusCode()).isEqualTo(201);
        HttpResponse<byte[]> build = admin("POST", "/v1/projects/local/builds", ""); // both fields are optional
        assertThat(build.statusCode()).as(Http.text(build)).isEqualTo(202);
        assertThat(Http.json(build).get("commit").asText()).isEqualTo(head);
        assertThat(Http.json(build).get("branch").asText()).isEqualTo("trunk");
        HttpResponse<byte[]> missing = admin("POST", "/v1/projects/local/builds", "{\"branch\": \"nope\"}");
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(Http.text(missing)).contains("has no branch nope");
        // A repository that cannot be read: 502, saying why (the admin API's caller is the operator).
        assertThat(admin("POST", "/v1/projects", "{\"name\": \"gone\", \"cloneUrl\": \""
                + temp.resolve("nowhere.git").toUri() + "\"}").statusCode()).isEqualTo(201);
        HttpResponse<byte[]> unreadable = admin("POST", "/v1/projects/gone/builds", "");
        assertThat(unreadable.statusCode()).isEqualTo(502);
        assertThat(Http.text(unreadable)).startsWith("the project's repository cannot be read: ");
    }

    @Test
    void theLogIsFollowedUntilTheBuildEnds() throws Exception {
        pipeline.hold = new CountDownLatch(1);
        long id = Http.json(deliver("push", push("main", commit(1)), "log-1")).get("build").get("id").asLong();
        awaitBuild(id, "running");
        HttpRequest request = HttpRequest.newBuilder(uri("/v1/builds/" + id + "/log"))
                .header("Authorization", "Bearer " + ADMIN).build();
        HttpResponse<InputStream> response = HttpClient.newHttpClient().send(request,
                HttpResponse.BodyHandlers.ofInputStream());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValueSatisfying(
                t -> assertThat(t).startsWith("text/plain"));
        try (InputStream in = response.body()) {
            byte[] first = new byte[4096];
            int n = in.read(first); // arrives while the build still runs
            assertThat(new String(first, 0, n, StandardCharsets.UTF_8)).contains("build " + id + " of shop");
            pipeline.hold.countDown();
            String rest = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            assertThat(new String(first, 0, n, StandardCharsets.UTF_8) + rest).contains("fetching " + commit(1))
                    .contains("built\n").endsWith("ferry: succeeded\n");
        }
    }

    @Test
    void deploymentsGenerationsAndRollbackAnswerWithNothingWritten() {
        assertThat(Http.json(admin("GET", "/v1/deployments", "")).get("deployments")).isEmpty();
        assertThat(Http.json(admin("GET", "/v1/generations", "")).get("generations")).isEmpty();
        assertThat(admin("POST", "/v1/rollback", "{\"generation\": 3}").statusCode()).isEqualTo(404);
        assertThat(admin("POST", "/v1/rollback", "{\"generation\": \"3\"}").statusCode()).isEqualTo(400);
        assertThat(admin("POST", "/v1/rollback", "{}").statusCode()).isEqualTo(400);
        HttpResponse<byte[]> typo = admin("POST", "/v1/rollback", "{\"generation\": 3, \"dryRun\": true}");
        assertThat(typo.statusCode()).isEqualTo(400);
        assertThat(Http.text(typo)).isEqualTo("unknown field 'dryRun' (known: generation)\n");
        HttpResponse<byte[]> twice = admin("POST", "/v1/rollback", "{\"generation\": 1, \"generation\": 2}");
        assertThat(twice.statusCode()).isEqualTo(400);
        assertThat(Http.text(twice)).isEqualTo("the body has a field twice: Duplicate field 'generation'\n");
    }

    @Test
    void deletingADeploymentQueuesItsTeardownAsAskedEvenForAProjectNoLongerConfigured() throws Exception {
        BuildRef pr = new BuildRef.PullRequest(3, "topic");
        pipeline.deployments.save(new Deployment("hello2-pr-3", "hello2", pr, commit(3), 1, 1,
                List.of("hello2-pr-3-web"), List.of("hello2-pr-3-docs"), List.of(), java.time.Instant.now()));
        pipeline.deployments.save(new Deployment("shop-feature-x", "shop", new BuildRef.Branch("feature/x"),
                commit(4), 2, 2, List.of("shop-feature-x-web"), List.of(), List.of(), java.time.Instant.now()));

        HttpResponse<byte[]> anonymous = api("DELETE", "/v1/deployments/hello2-pr-3", "");
        assertThat(anonymous.statusCode()).isEqualTo(401);
        assertThat(api("DELETE", "/v1/deployments/hello2-pr-3", "", "Authorization", "Bearer wrong-token-0123456789")
                .statusCode()).isEqualTo(401);
        assertThat(builds()).isEmpty();

        HttpResponse<byte[]> deleted = admin("DELETE", "/v1/deployments/hello2-pr-3", "");
        assertThat(deleted.statusCode()).as(Http.text(deleted)).isEqualTo(202);
        JsonNode teardown = Http.json(deleted);
        assertThat(teardown.get("action").asText()).isEqualTo("teardown");
        assertThat(teardown.get("project").asText()).isEqualTo("hello2");
        assertThat(teardown.get("ref").get("kind").asText()).isEqualTo("pull_request");
        assertThat(teardown.get("ref").get("number").asInt()).isEqualTo(3);
        assertThat(teardown.get("trigger").asText()).isEqualTo("api");
        JsonNode done = awaitBuild(teardown.get("id").asLong(), "succeeded");
        assertThat(done.get("error").isNull()).isTrue();
        // The project is not configured: the teardown runs from the deployment's row, checking nothing remote.
        assertThat(pipeline.teardowns).containsExactly(new TeardownRequest("hello2", pr, Optional.empty(),
                TeardownRequest.RefCheck.AS_ASKED));
        assertThat(Http.json(admin("GET", "/v1/deployments", "")).get("deployments"))
                .extracting(d -> d.get("name").asText()).containsExactly("shop-feature-x");

        // A configured project's branch: torn down as asked too, with the project at hand.
        HttpResponse<byte[]> branch = admin("DELETE", "/v1/deployments/shop-feature-x", "");
        assertThat(branch.statusCode()).as(Http.text(branch)).isEqualTo(202);
        assertThat(Http.json(branch).get("branch").asText()).isEqualTo("feature/x");
        awaitBuild(Http.json(branch).get("id").asLong(), "succeeded");
        assertThat(pipeline.teardowns).last().isEqualTo(TeardownRequest.of(new Project("shop", CLONE_URL, "main"),
                new BuildRef.Branch("feature/x"), TeardownRequest.RefCheck.AS_ASKED));
        assertThat(Http.json(admin("GET", "/v1/builds?project=hello2", "")).get("builds"))
                .extracting(b -> b.get("trigger").asText() + "/" + b.get("action").asText())
                .containsExactly("api/teardown");

        HttpResponse<byte[]> gone = admin("DELETE", "/v1/deployments/hello2-pr-3", "");
        assertThat(gone.statusCode()).isEqualTo(404);
        assertThat(Http.text(gone)).startsWith("no deployment named hello2-pr-3");
        HttpResponse<byte[]> odd = admin("DELETE", "/v1/deployments/%3Cscript%3E", "");
        assertThat(odd.statusCode()).isEqualTo(404);
        assertThat(Http.text(odd)).startsWith("no deployment named like that");
        assertThat(builds()).hasSize(2);
    }

    @Test
    void theServerRecoversAnInterruptedBuildAtRestart() throws Exception {
        pipeline.hold = new CountDownLatch(1);
        long id = Http.json(deliver("push", push("main", commit(1)), "r-1")).get("build").get("id").asLong();
        awaitBuild(id, "running");
        server.close(); // stopped during the build
        server = null;
        pipeline = new Pipeline();
        start(false);
        JsonNode interrupted = awaitBuild(id, "failed");
        assertThat(interrupted.get("error").asText()).isEqualTo("interrupted");
        JsonNode retry = Http.json(admin("GET", "/v1/builds?project=shop&branch=main", "")).get("builds").get(0);
        assertThat(retry.get("attempt").asInt()).isEqualTo(2);
        assertThat(retry.get("retryOf").asLong()).isEqualTo(id);
        awaitBuild(retry.get("id").asLong(), "succeeded");
        // a repeat of the original delivery still answers with the original build
        assertThat(Http.json(deliver("push", push("main", commit(1)), "r-1")).get("build").get("id").asLong())
                .isEqualTo(id);
    }
}
