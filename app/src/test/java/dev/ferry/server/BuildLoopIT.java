package dev.ferry.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ferry.cache.BinaryCache;
import dev.ferry.cache.LocalNixStore;
import dev.ferry.cache.Manifest;
import dev.ferry.cache.ManifestStore;
import dev.ferry.cache.PathInfo;
import dev.ferry.nix.StorePath;
import dev.ferry.testkit.RequiresPrograms;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The build loop through the real server: signed forge deliveries to {@code POST /webhook}, real git repositories
 * made here, real nix builds, a directory cache, SQLite, and the JSON API read back as a client would.
 */
@RequiresPrograms({"nix", "git"})
class BuildLoopIT {
    @TempDir
    Path dir;
    BuildLoopHarness ferry;

    @BeforeEach
    void start() {
        ferry = new BuildLoopHarness(dir, 2);
    }

    @AfterEach
    void stop() {
        ferry.close();
    }

    @Test
    void aForgejoPushBuildsPublishesAndReleasesAndASecondCommitChangesOnlyItsService() throws Exception {
        String first = ferry.commitExample("hello 1.0.0");
        ferry.repo.push("refs/heads/main");

        long id = ferry.deliverQueued("Forgejo", "push", ferry.push("main", first));
        JsonNode build = ferry.awaitStatus(id, "succeeded");
        System.out.println("first build, phases: " + phases(build));

        // What nix build gives for this commit, computed here from the clone, is what the generation holds.
        Map<String, String> expected = ferry.nixBuild("web", "worker", "docs");
        assertThat(build.get("commit").asText()).isEqualTo(first);
        assertThat(outputs(build)).isEqualTo(expected);
        assertThat(build.get("generation").asLong()).isEqualTo(1);
        assertThat(ferry.newestGeneration()).containsExactlyInAnyOrderEntriesOf(Map.of(
                "shop-main-web", expected.get("web"), "shop-main-worker", expected.get("worker"),
                "shop-main-docs", ""));
        Manifest manifest = ManifestStore.create(ferry.server.storage()).newest().orElseThrow().manifest();
        assertThat(manifest.site("shop-main-docs").orElseThrow().artifact().storePath().absolute())
                .isEqualTo(expected.get("docs"));
        assertThat(manifest.service("shop-main-web").orElseThrow().revision()).hasValueSatisfying(
                revision -> assertThat(revision).contains(first));

        // Every path of every output's closure has a narinfo in the cache.
        BinaryCache cache = new BinaryCache(ferry.server.storage());
        List<PathInfo> closure = new LocalNixStore(ferry.nix).closure(expected.values().stream()
                .map(StorePath::parse).toList());
        assertThat(closure).hasSizeGreaterThanOrEqualTo(3);
        assertThat(closure).allSatisfy(p -> assertThat(cache.hasNarInfo(p.path())).as(p.path().toString()).isTrue());
        JsonNode deployment = ferry.deployment("shop-main").orElseThrow();
        assertThat(deployment.get("commit").asText()).isEqualTo(first);
        assertThat(deployment.get("domains").toString()).contains("shop-main." + BuildLoopHarness.DOMAIN);

        // A one-line change to the web service: a new generation in which the worker's store path is unchanged.
        String second = ferry.repo.edit("web/server.py", "+", "+changed.").commit("web: a one-line change");
        ferry.repo.push("refs/heads/main");
        long id2 = ferry.deliverQueued("Forgejo", "push", ferry.push("main", second));
        JsonNode build2 = ferry.awaitStatus(id2, "succeeded");
        System.out.println("one-line change, push to new generation, phases: " + phases(build2));
        Map<String, String> expected2 = ferry.nixBuild("web", "worker", "docs");
        assertThat(build2.get("generation").asLong()).isEqualTo(2);
        assertThat(expected2.get("web")).isNotEqualTo(expected.get("web"));
        assertThat(ferry.newestGeneration()).containsEntry("shop-main-web", expected2.get("web"))
                .containsEntry("shop-main-worker", expected.get("worker"));
        assertThat(ferry.generationCount()).isEqualTo(2);
    }

    @Test
    void giteaAndGitHubPayloadsBranchesAndPullRequestsDeployAndTearDown() throws Exception {
        String main = ferry.commitExample("hello 1.0.0");
        ferry.repo.push("refs/heads/main");
        // Gitea's documented push example, for main.
        ObjectNode gitea = BuildLoopHarness.payload("gitea-push.json", ferry.repo.url());
        gitea.put("ref", "refs/heads/main").put("after", main);
        ferry.awaitStatus(ferry.deliverQueued("Gitea", "push", gitea), "succeeded");

        // GitHub's documented push of a new branch: a second deployment with its own domain.
        String feature = ferry.repo.branch("feature/Login-Page").edit("site/index.html", "</body>",
                "<p>login</p></body>").commit("login page");
        ferry.repo.push("refs/heads/feature/Login-Page");
        ObjectNode github = BuildLoopHarness.payload("github-push-branch.json", ferry.repo.url());
        github.put("after", feature);
        assertThat(github.get("ref").asText()).isEqualTo("refs/heads/feature/Login-Page");
        JsonNode built = ferry.awaitStatus(ferry.deliverQueued("GitHub", "push", github), "succeeded");
        JsonNode branch = ferry.deployment("shop-feature-login-page").orElseThrow();
        assertThat(branch.get("commit").asText()).isEqualTo(feature);
        assertThat(branch.get("domains").toString()).contains("shop-feature-login-page." + BuildLoopHarness.DOMAIN);
        assertThat(ferry.deployment("shop-main").orElseThrow().get("commit").asText()).isEqualTo(main);
        assertThat(ferry.newestGeneration()).containsKeys("shop-main-web", "shop-feature-login-page-web");
        long withBranch = built.get("generation").asLong();

        // GitHub's documented push with deleted: true, once the branch is gone, removes it in a new generation.
        ferry.repo.deleteBranch("feature/Login-Page");
        ObjectNode deleted = BuildLoopHarness.payload("github-push.json", ferry.repo.url());
        deleted.put("ref", "refs/heads/feature/Login-Page");
        assertThat(deleted.get("deleted").asBoolean()).isTrue();
        JsonNode teardown = ferry.awaitStatus(ferry.deliverQueued("GitHub", "push", deleted), "succeeded");
        assertThat(teardown.get("generation").asLong()).isEqualTo(withBranch + 1);
        assertThat(ferry.deployment("shop-feature-login-page")).isEmpty();
        assertThat(ferry.newestGeneration()).containsKey("shop-main-web").doesNotContainKey(
                "shop-feature-login-page-web");

        // The same branch again, then GitHub's delete event.
        ferry.repo.push("refs/heads/feature/Login-Page");
        ferry.awaitStatus(ferry.deliverQueued("GitHub", "push", github), "succeeded");
        assertThat(ferry.deployment("shop-feature-login-page")).isPresent();
        ferry.repo.deleteBranch("feature/Login-Page");
        ObjectNode delete = BuildLoopHarness.payload("github-delete.json", ferry.repo.url());
        delete.put("ref", "feature/Login-Page").put("ref_type", "branch");
        long beforeDelete = ferry.generationCount();
        ferry.awaitStatus(ferry.deliverQueued("GitHub", "delete", delete), "succeeded");
        assertThat(ferry.deployment("shop-feature-login-page")).isEmpty();
        assertThat(ferry.generationCount()).isEqualTo(beforeDelete + 1);
        assertThat(ferry.newestGeneration()).doesNotContainKey("shop-feature-login-page-web");

        // A pull request: GitHub's documented "opened" deploys pr-2, Gitea's "closed" for the same number removes it.
        String pr = ferry.repo.branch("changes").edit("site/index.html", "</body>", "<p>pr</p></body>")
                .commit("a pull request");
        ferry.repo.push("refs/heads/changes").push("refs/pull/2/head");
        ObjectNode opened = BuildLoopHarness.payload("github-pull-request.json", ferry.repo.url());
        ((ObjectNode) opened.get("pull_request").get("head")).put("sha", pr).put("ref", "changes");
        assertThat(opened.get("action").asText()).isEqualTo("opened");
        ferry.awaitStatus(ferry.deliverQueued("GitHub", "pull_request", opened), "succeeded");
        JsonNode preview = ferry.deployment("shop-pr-2").orElseThrow();
        assertThat(preview.get("commit").asText()).isEqualTo(pr);
        assertThat(preview.get("domains").toString()).contains("shop-pr-2." + BuildLoopHarness.DOMAIN);
        assertThat(preview.get("inNewestGeneration").asBoolean()).isTrue();
        // A rollback of the whole manifest to before pr-2: its row stays, and says the newest generation lacks it.
        long withPreview = ferry.get("/v1/deployments").get("newestGeneration").asLong();
        for (long to : List.of(withPreview - 1, withPreview)) {
            assertThat(Http.send("POST", ferry.uri("/v1/rollback"), ("{\"generation\": " + to + "}")
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8), "Authorization", "Bearer "
                    + BuildLoopHarness.ADMIN, "Content-Type", "application/json").statusCode()).isEqualTo(201);
            assertThat(ferry.deployment("shop-pr-2").orElseThrow().get("inNewestGeneration").asBoolean())
                    .as("rolled back to %d", to).isEqualTo(to == withPreview);
            assertThat(ferry.deployment("shop-main").orElseThrow().get("inNewestGeneration").asBoolean()).isTrue();
        }
        ObjectNode closed = BuildLoopHarness.payload("gitea-pull-request-closed.json", ferry.repo.url());
        closed.put("number", 2);
        ((ObjectNode) closed.get("pull_request")).put("number", 2);
        ((ObjectNode) closed.get("pull_request").get("head")).put("sha", pr).put("ref", "changes");
        long beforeClose = ferry.generationCount();
        ferry.awaitStatus(ferry.deliverQueued("Gitea", "pull_request", closed), "succeeded");
        assertThat(ferry.deployment("shop-pr-2")).isEmpty();
        assertThat(ferry.generationCount()).isEqualTo(beforeClose + 1);
        assertThat(ferry.newestGeneration()).doesNotContainKey("shop-pr-2-web").containsKey("shop-main-web");
    }

    @Test
    void badDeliveriesReachNeitherGitNorNixNorTheDisk() throws Exception {
        String commit = ferry.commitExample("hello 1.0.0");
        ferry.repo.push("refs/heads/main");
        List<String> filesBefore = files();
        String good = ferry.push("main", commit).toString();
        String signature = dev.ferry.webhook.Signatures.sign(
                BuildLoopHarness.SECRET.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                good.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        Map<String, Integer> statuses = new TreeMap<>();
        statuses.put("no signature", raw(good, "Forgejo", "push", "").statusCode());
        // One hex digit changed (always a change: "00" + the rest was the signature itself 1 time in 256).
        String wrong = (signature.charAt(0) == '0' ? "1" : "0") + signature.substring(1);
        statuses.put("wrong signature", raw(good, "Forgejo", "push", wrong).statusCode());
        statuses.put("signature for another body", raw(ferry.push("main", "f".repeat(40)).toString(), "Forgejo",
                "push", signature).statusCode());
        // Declared over the 1 MiB limit, with the body's first 64 KiB sent: the answer comes from the headers (a
        // client still writing a whole MiB may see the connection close before it reads the 413).
        String oversize = "POST /webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                + "Content-Type: application/json\r\nX-Forgejo-Event: push\r\nX-Forgejo-Delivery: big\r\n"
                + "X-Forgejo-Signature: " + signature + "\r\nContent-Length: " + ((1 << 20) + 1) + "\r\n\r\n"
                + good.substring(0, good.length() - 1) + ", \"pad\": \"" + "x".repeat(1 << 16);
        statuses.put("oversize body", Http.parse(Http.exchange(ferry.server.port(), oversize)).status());
        statuses.put("malformed JSON", ferry.deliver("Forgejo", "push", "{\"ref\": ").statusCode());
        ObjectNode unknown = ferry.push("main", commit);
        ((ObjectNode) unknown.get("repository")).put("clone_url", "https://git.example.org/bob/other.git")
                .put("html_url", "https://git.example.org/bob/other").put("ssh_url", "git@git.example.org:bob/other")
                .put("full_name", "bob/other");
        statuses.put("unknown repository", ferry.deliver("Forgejo", "push", unknown.toString()).statusCode());
        statuses.put("unknown event", ferry.deliver("Forgejo", "issues", good).statusCode());
        assertThat(statuses).containsExactlyInAnyOrderEntriesOf(Map.of("no signature", 401, "wrong signature", 401,
                "signature for another body", 401, "oversize body", 413, "malformed JSON", 400,
                "unknown repository", 404, "unknown event", 422));

        assertThat(ferry.get("/v1/builds").get("builds")).isEmpty();
        assertThat(ferry.dataDir.resolve("git")).as("the bare mirror").doesNotExist();
        assertThat(ferry.dataDir.resolve("work")).as("worktrees").doesNotExist();
        assertThat(files()).as("files under the data dir").isEqualTo(filesBefore);
        assertThat(ferry.generationCount()).isZero();

        // The same delivery twice (one delivery id): one build.
        java.net.http.HttpResponse<byte[]> once = raw(good, "Forgejo", "push", signature, "same-delivery");
        java.net.http.HttpResponse<byte[]> twice = raw(good, "Forgejo", "push", signature, "same-delivery");
        assertThat(once.statusCode()).isEqualTo(202);
        assertThat(twice.statusCode()).isEqualTo(200);
        long id = Http.json(once).get("build").get("id").asLong();
        assertThat(Http.json(twice).get("build").get("id").asLong()).isEqualTo(id);
        ferry.awaitStatus(id, "succeeded");
        assertThat(ferry.get("/v1/builds").get("builds")).hasSize(1);
    }

    @Test
    void anOldDeliverySentAgainNeitherRollsBackNorTearsDownWhileAnApiBuildOfAnOldCommitBuilds() throws Exception {
        String first = ferry.commitExample("hello 1.0.0");
        ferry.repo.push("refs/heads/main");
        String firstPush = ferry.push("main", first).toString();
        ferry.awaitStatus(ferry.deliverQueued("Forgejo", "push", BuildLoopHarness.JSON.readTree(firstPush)),
                "succeeded");
        String second = ferry.repo.edit("web/server.py", "+", "+second.").commit("web: second");
        ferry.repo.push("refs/heads/main");
        ferry.awaitStatus(ferry.deliverQueued("Forgejo", "push", ferry.push("main", second)), "succeeded");
        long generations = ferry.generationCount();

        // The first push's body, signed as the forge signed it, under a new delivery id: nothing is built.
        java.net.http.HttpResponse<byte[]> again = ferry.deliver("Forgejo", "push", firstPush);
        assertThat(again.statusCode()).as(Http.text(again)).isEqualTo(202);
        long replay = Http.json(again).get("build").get("id").asLong();
        JsonNode notBuilt = ferry.awaitStatus(replay, "cancelled");
        assertThat(notBuilt.get("error").asText()).isEqualTo("not built: branch main is at " + second.substring(0, 8)
                + " now, not at " + first.substring(0, 8) + " (a newer push, or an old delivery sent again)");
        assertThat(notBuilt.get("outputs").size()).isZero();
        assertThat(notBuilt.get("generation").isNull()).isTrue();
        assertThat(ferry.log(replay)).contains("ferry: branch main is at " + second + " on the remote (fetched in ");
        assertThat(ferry.generationCount()).isEqualTo(generations);
        assertThat(ferry.deployment("shop-main").orElseThrow().get("commit").asText()).isEqualTo(second);

        // A branch's delete delivery sent again while the branch exists tears nothing down; once it is gone, it does.
        String feature = ferry.repo.branch("feature/x").edit("site/index.html", "</body>", "<p>x</p></body>")
                .commit("feature x");
        ferry.repo.push("refs/heads/feature/x");
        ferry.awaitStatus(ferry.deliverQueued("Forgejo", "push", ferry.push("feature/x", feature)), "succeeded");
        ObjectNode delete = BuildLoopHarness.payload("github-delete.json", ferry.repo.url());
        delete.put("ref", "feature/x").put("ref_type", "branch");
        generations = ferry.generationCount();
        JsonNode notTornDown = ferry.awaitStatus(ferry.deliverQueued("GitHub", "delete", delete), "cancelled");
        assertThat(notTornDown.get("error").asText()).isEqualTo("not torn down: branch feature/x still exists at "
                + feature.substring(0, 8));
        assertThat(ferry.deployment("shop-feature-x")).isPresent();
        assertThat(ferry.generationCount()).isEqualTo(generations);
        ferry.repo.deleteBranch("feature/x");
        ferry.awaitStatus(ferry.deliverQueued("GitHub", "delete", delete), "succeeded");
        assertThat(ferry.deployment("shop-feature-x")).isEmpty();
        assertThat(ferry.generationCount()).isEqualTo(generations + 1);

        // Through the API, an admin builds the commit named, the branch's head or not (a deliberate rollback).
        java.net.http.HttpResponse<byte[]> manual = Http.send("POST", ferry.uri("/v1/projects/shop/builds"),
                ("{\"branch\": \"main\", \"commit\": \"" + first + "\"}").getBytes(
                        java.nio.charset.StandardCharsets.UTF_8),
                "Authorization", "Bearer " + BuildLoopHarness.ADMIN, "Content-Type", "application/json");
        assertThat(manual.statusCode()).as(Http.text(manual)).isEqualTo(202);
        ferry.awaitStatus(Http.json(manual).get("id").asLong(), "succeeded");
        assertThat(ferry.deployment("shop-main").orElseThrow().get("commit").asText()).isEqualTo(first);
        assertNothingRunning();
    }

    @Test
    void deleteDeploymentTearsDownABranchThatStillExistsAndAPullRequestOfAProjectRemovedFromTheConfiguration()
            throws Exception {
        String main = ferry.commitExample("hello 1.0.0");
        ferry.repo.push("refs/heads/main");
        ferry.awaitStatus(ferry.deliverQueued("Forgejo", "push", ferry.push("main", main)), "succeeded");
        String feature = ferry.repo.branch("feature/x").edit("site/index.html", "</body>", "<p>x</p></body>")
                .commit("feature x");
        ferry.repo.push("refs/heads/feature/x");
        ferry.awaitStatus(ferry.deliverQueued("Forgejo", "push", ferry.push("feature/x", feature)), "succeeded");
        assertThat(ferry.newestGeneration()).containsKeys("shop-feature-x-web", "shop-feature-x-docs");

        // The branch still exists: a delete delivery tears nothing down, an operator's DELETE does.
        ObjectNode delete = BuildLoopHarness.payload("github-delete.json", ferry.repo.url());
        delete.put("ref", "feature/x").put("ref_type", "branch");
        JsonNode refused = ferry.awaitStatus(ferry.deliverQueued("GitHub", "delete", delete), "cancelled");
        assertThat(refused.get("error").asText()).startsWith("not torn down: branch feature/x still exists at ");
        assertThat(ferry.deployment("shop-feature-x")).isPresent();
        long generations = ferry.generationCount();

        JsonNode branch = deleteDeployment("shop-feature-x");
        assertThat(branch.get("branch").asText()).isEqualTo("feature/x");
        assertThat(branch.get("generation").asLong()).isEqualTo(generations + 1);
        assertThat(ferry.deployment("shop-feature-x")).isEmpty();
        assertThat(ferry.get("/v1/generations").get("generations").get(0).get("reason").asText())
                .isEqualTo("teardown shop-feature-x");
        assertThat(ferry.newestGeneration()).containsKeys("shop-main-web", "shop-main-worker", "shop-main-docs")
                .doesNotContainKeys("shop-feature-x-web", "shop-feature-x-worker", "shop-feature-x-docs");

        // A pull request's deployment, then project shop is removed from the configuration and the server restarts.
        String pr = ferry.repo.branch("changes").edit("site/index.html", "</body>", "<p>pr</p></body>")
                .commit("a pull request");
        ferry.repo.push("refs/heads/changes").push("refs/pull/2/head");
        ObjectNode opened = BuildLoopHarness.payload("github-pull-request.json", ferry.repo.url());
        ((ObjectNode) opened.get("pull_request").get("head")).put("sha", pr).put("ref", "changes");
        ferry.awaitStatus(ferry.deliverQueued("GitHub", "pull_request", opened), "succeeded");
        assertThat(ferry.deployment("shop-pr-2")).isPresent();
        ferry.close();
        ferry.configured = false;
        ferry.start();
        assertThat(ferry.get("/v1/projects").get("projects")).isEmpty();

        // Its closed webhook is refused (no such project); DELETE removes it from the deployment's row alone.
        ObjectNode closed = BuildLoopHarness.payload("gitea-pull-request-closed.json", ferry.repo.url());
        closed.put("number", 2);
        ((ObjectNode) closed.get("pull_request")).put("number", 2);
        assertThat(ferry.deliver("Gitea", "pull_request", closed.toString()).statusCode()).isEqualTo(404);
        generations = ferry.generationCount();

        JsonNode teardown = deleteDeployment("shop-pr-2");
        assertThat(teardown.get("ref").get("number").asInt()).isEqualTo(2);
        assertThat(teardown.get("generation").asLong()).isEqualTo(generations + 1);
        assertThat(ferry.deployment("shop-pr-2")).isEmpty();
        assertThat(ferry.get("/v1/generations").get("generations").get(0).get("reason").asText())
                .isEqualTo("teardown shop-pr-2");
        assertThat(ferry.newestGeneration()).containsKey("shop-main-web")
                .doesNotContainKeys("shop-pr-2-web", "shop-pr-2-worker", "shop-pr-2-docs");
        assertThat(ferry.get("/v1/builds?project=shop&limit=1").get("builds").get(0).get("id").asLong())
                .isEqualTo(teardown.get("id").asLong());
        java.net.http.HttpResponse<byte[]> again = ferry.admin("DELETE", "/v1/deployments/shop-pr-2");
        assertThat(again.statusCode()).isEqualTo(404);
        assertThat(Http.text(again)).startsWith("no deployment named shop-pr-2");
        assertNothingRunning();
    }

    /** {@code DELETE /v1/deployments/{name}}: 202 with a teardown through the API, awaited until it succeeded. */
    private JsonNode deleteDeployment(String name) throws InterruptedException {
        java.net.http.HttpResponse<byte[]> response = ferry.admin("DELETE", "/v1/deployments/" + name);
        assertThat(response.statusCode()).as(Http.text(response)).isEqualTo(202);
        JsonNode queued = Http.json(response);
        assertThat(queued.get("action").asText()).isEqualTo("teardown");
        assertThat(queued.get("trigger").asText()).isEqualTo("api");
        assertThat(queued.get("project").asText()).isEqualTo("shop");
        JsonNode done = ferry.awaitStatus(queued.get("id").asLong(), "succeeded");
        assertThat(done.get("trigger").asText()).isEqualTo("api");
        assertThat(done.get("error").isNull()).isTrue();
        return done;
    }

    @Test
    void aStormOfTwentyPushesBuildsAtMostTwoAndDeploysTheLast() throws Exception {
        ferry.commitExample("hello 1.0.0");
        List<String> commits = new java.util.ArrayList<>();
        for (int i = 1; i <= 20; i++) {
            commits.add(ferry.repo.edit("site/index.html", "</body>", "<p>" + i + "</p></body>")
                    .commit("storm " + i));
        }
        ferry.repo.push("refs/heads/main");
        // A ping first, so that the figures below are not of the server's first request (class loading, JIT).
        ObjectNode ping = BuildLoopHarness.payload("github-ping.json", ferry.repo.url());
        assertThat(ferry.deliver("GitHub", "ping", ping.toString()).statusCode()).isEqualTo(200);
        // One after another, as a forge sends the pushes of one branch (so "the last" is well defined).
        List<Long> ids = new java.util.ArrayList<>();
        List<Long> latencies = new java.util.ArrayList<>();
        long start = System.nanoTime();
        for (String commit : commits) {
            long sent = System.nanoTime();
            ids.add(ferry.deliverQueued("Forgejo", "push", ferry.push("main", commit)));
            latencies.add(java.time.Duration.ofNanos(System.nanoTime() - sent).toMillis());
        }
        long deliveredMillis = java.time.Duration.ofNanos(System.nanoTime() - start).toMillis();
        System.out.println("storm: 20 signed pushes delivered in " + deliveredMillis + " ms, each (ms): "
                + latencies);

        Map<String, Integer> statuses = new TreeMap<>();
        for (long id : ids) {
            statuses.merge(ferry.awaitEnd(id, java.time.Duration.ofMinutes(5)).get("status").asText(), 1,
                    Integer::sum);
        }
        System.out.println("storm: " + statuses);
        assertThat(statuses.keySet()).isSubsetOf("succeeded", "cancelled");
        assertThat(statuses.getOrDefault("succeeded", 0)).isBetween(1, 2);
        assertThat(ferry.get("/v1/builds/" + ids.get(19)).get("status").asText()).isEqualTo("succeeded");

        String last = commits.get(19);
        assertThat(ferry.deployment("shop-main").orElseThrow().get("commit").asText()).isEqualTo(last);
        Manifest manifest = ManifestStore.create(ferry.server.storage()).newest().orElseThrow().manifest();
        assertThat(manifest.service("shop-main-web").orElseThrow().revision()).hasValueSatisfying(
                revision -> assertThat(revision).contains(last));
        assertThat(manifest.site("shop-main-docs").orElseThrow().artifact().storePath().absolute())
                .isEqualTo(ferry.nixBuild("docs").get("docs"));
        assertNothingRunning();
    }

    @Test
    void anEvaluationErrorAndABuildErrorFailWithNixsMessageAndReleaseNothing() throws Exception {
        String marker = java.util.UUID.randomUUID().toString();
        ferry.commitExample("hello 1.0.0");
        String evalError = ferry.repo.edit("flake.nix", "ferry = {", "ferry = throw \"eval-error-" + marker
                + "\"; unused = {").commit("an evaluation error");
        ferry.repo.push("refs/heads/main");
        long eval = ferry.deliverQueued("Forgejo", "push", ferry.push("main", evalError));
        JsonNode evalBuild = ferry.awaitStatus(eval, "failed");
        assertThat(ferry.log(eval)).contains("eval-error-" + marker);
        assertThat(evalBuild.get("phase").asText()).isEqualTo("eval");

        String buildError = ferry.repo.edit("flake.nix", "ferry = throw \"eval-error-" + marker + "\"; unused = {",
                "ferry = {").edit("flake.nix", "cp ${./worker/worker.sh} $out/bin/hello-worker",
                "echo build-error-" + marker + " >&2; exit 3").commit("a build error");
        ferry.repo.push("refs/heads/main");
        long build = ferry.deliverQueued("Forgejo", "push", ferry.push("main", buildError));
        JsonNode failed = ferry.awaitStatus(build, "failed");
        assertThat(failed.get("phase").asText()).isEqualTo("build");
        assertThat(ferry.log(build)).contains("build-error-" + marker);

        assertThat(ferry.generationCount()).isZero();
        assertThat(ferry.get("/v1/deployments").get("deployments")).isEmpty();
        assertNothingRunning();
    }

    @Test
    void aRestartDuringABuildFailsItAsInterruptedAndRunsItAgainOnce() throws Exception {
        // The worker's builder sleeps while a file outside the sandbox exists (sandbox = false in the tests).
        // Not under @TempDir: that is private to root, and nix builds as a nixbld user.
        Path slow = Path.of("/tmp", "ferry-e2e-slow-" + java.util.UUID.randomUUID());
        Files.writeString(slow, "");
        try {
            restartDuringABuild(slow);
        } finally {
            Files.deleteIfExists(slow);
        }
    }

    private void restartDuringABuild(Path slow) throws Exception {
        ferry.commitExample("hello 1.0.0");
        String commit = ferry.repo.edit("flake.nix", "cp ${./worker/worker.sh} $out/bin/hello-worker",
                "while [ -e " + slow + " ]; do sleep 0.2; done; cp ${./worker/worker.sh} $out/bin/hello-worker")
                .commit("a slow build");
        ferry.repo.push("refs/heads/main");
        long id = ferry.deliverQueued("Forgejo", "push", ferry.push("main", commit));
        long deadline = System.nanoTime() + java.time.Duration.ofMinutes(2).toNanos();
        while (!ferry.get("/v1/builds/" + id).get("phase").asText().equals("build")) {
            assertThat(System.nanoTime()).as("build %d reaches nix build", id).isLessThan(deadline);
            Thread.sleep(100);
        }
        Thread.sleep(1000);
        assertThat(ferry.get("/v1/builds/" + id).get("status").asText()).isEqualTo("running");

        assertThat(dev.ferry.builder.Processes.in(ferry.dataDir.resolve("work"))).as("nix running in the checkout").isNotEmpty();
        ferry.close();
        assertThat(dev.ferry.builder.Processes.in(ferry.dataDir.resolve("work"))).as("processes left after the close").isEmpty();
        Files.delete(slow);
        ferry.start();

        JsonNode interrupted = ferry.get("/v1/builds/" + id);
        assertThat(interrupted.get("status").asText()).isEqualTo("failed");
        assertThat(interrupted.get("error").asText()).contains("interrupted");
        JsonNode builds = ferry.get("/v1/builds").get("builds");
        assertThat(builds).hasSize(2);
        long retry = -1;
        for (JsonNode build : builds) {
            if (build.get("id").asLong() != id) {
                retry = build.get("id").asLong();
                assertThat(build.get("retryOf").asLong()).isEqualTo(id);
                assertThat(build.get("attempt").asInt()).isEqualTo(2);
            }
        }
        JsonNode rerun = ferry.awaitStatus(retry, "succeeded");
        assertThat(rerun.get("commit").asText()).isEqualTo(commit);
        assertThat(ferry.deployment("shop-main").orElseThrow().get("commit").asText()).isEqualTo(commit);
        assertThat(ferry.get("/v1/builds").get("builds")).hasSize(2);
        assertNothingRunning();
    }

    private void assertNothingRunning() {
        ferry.get("/v1/builds?limit=500").get("builds").forEach(build -> assertThat(build.get("status").asText())
                .as(build.toString()).isIn("succeeded", "failed", "cancelled"));
    }

    /** A Forgejo delivery with {@code signature} as given ("" for none), and a fixed delivery id if one is given. */
    private java.net.http.HttpResponse<byte[]> raw(String body, String forge, String event, String signature,
                                                   String... delivery) {
        List<String> headers = new java.util.ArrayList<>(List.of("Content-Type", "application/json",
                "X-" + forge + "-Event", event, "X-" + forge + "-Delivery",
                delivery.length > 0 ? delivery[0] : java.util.UUID.randomUUID().toString()));
        if (!signature.isEmpty()) {
            headers.addAll(List.of("X-" + forge + "-Signature", signature));
        }
        return Http.send("POST", ferry.uri("/webhook"), body.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                headers.toArray(String[]::new));
    }

    /** Every file under the data dir except the database's own. */
    private List<String> files() throws IOException {
        try (Stream<Path> walk = Files.walk(ferry.dataDir)) {
            return walk.filter(Files::isRegularFile).map(p -> ferry.dataDir.relativize(p).toString())
                    .filter(p -> !p.startsWith("ferry.db")).sorted().toList();
        }
    }

    static Map<String, String> outputs(JsonNode build) {
        Map<String, String> outputs = new TreeMap<>();
        build.get("outputs").properties().forEach(e -> outputs.put(e.getKey(), e.getValue().asText()));
        return outputs;
    }

    static Map<String, Long> phases(JsonNode build) {
        Map<String, Long> phases = new java.util.LinkedHashMap<>();
        build.get("phases").forEach(p -> phases.put(p.get("phase").asText(), p.get("durationMs").asLong()));
        return phases;
    }
}
