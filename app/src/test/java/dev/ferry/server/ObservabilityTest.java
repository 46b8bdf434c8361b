package dev.ferry.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /metrics} and {@code /v1/healthz} of a whole server ({@link FerryServer#start}, as {@code ferry serve}) with
 * the fake pipeline of {@link BuildsRoutesTest}: the values move as builds run and narinfos are fetched, and health
 * goes 503 when the cache storage is gone.
 */
class ObservabilityTest {
    private static final String HASH = "0123456789abcdfghijklmnpqrsvwxyz";

    @TempDir
    Path temp;
    BuildsRoutesTest server = new BuildsRoutesTest();

    @BeforeEach
    void start() throws Exception {
        server.temp = temp;
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop();
    }

    private String metrics() {
        HttpResponse<byte[]> response = Http.get(server.uri("/metrics"));
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("text/plain; version=0.0.4; charset=utf-8");
        return Http.text(response);
    }

    @Test
    void metricsMoveAsABuildRunsAndNarinfosAreFetchedOrMissed() throws Exception {
        String before = metrics();
        assertThat(before).contains("ferry_narinfo_requests_total{result=\"hit\"} 0\n",
                "ferry_narinfo_requests_total{result=\"miss\"} 0\n", "ferry_published_paths_total 0\n")
                .doesNotContain("ferry_builds_total{");

        long id = Http.json(server.deliver("push", BuildsRoutesTest.push("main",
                BuildsRoutesTest.commit(1)), "m-1")).get("build").get("id").asLong();
        server.awaitBuild(id, "succeeded");
        String afterBuild = metrics();
        assertThat(afterBuild).contains("ferry_builds_total{status=\"succeeded\"} 1\n",
                "ferry_build_phase_seconds_count{phase=\"fetch\"} 1\n",
                "ferry_build_phase_seconds_count{phase=\"build\"} 1\n",
                "ferry_build_phase_seconds_count{phase=\"release\"} 1\n");

        assertThat(Http.get(server.uri("/cache/" + HASH + ".narinfo")).statusCode()).isEqualTo(404);
        // Published through the server's storage, as the pipeline and uploads do: one narinfo, one NAR.
        server.server.storage().write("nar/" + HASH + ".nar", 3, out -> out.write(new byte[] {1, 2, 3}));
        server.server.storage().put(HASH + ".narinfo", ("StorePath: /nix/store/" + HASH + "-x\n")
                .getBytes(StandardCharsets.UTF_8));
        assertThat(Http.get(server.uri("/cache/" + HASH + ".narinfo")).statusCode()).isEqualTo(200);
        assertThat(Http.get(server.uri("/cache/" + HASH + ".narinfo")).statusCode()).isEqualTo(200);
        assertThat(Http.get(server.uri("/cache/nar/" + HASH + ".nar")).statusCode()).isEqualTo(200);
        assertThat(metrics()).contains("ferry_narinfo_requests_total{result=\"hit\"} 2\n",
                "ferry_narinfo_requests_total{result=\"miss\"} 1\n", "ferry_published_paths_total 1\n",
                "ferry_published_bytes_total 3\n", "ferry_nar_served_bytes_total 3\n");
    }

    @Test
    void healthzIsUpThenDownWhileTheCacheStorageIsGone() throws Exception {
        HttpResponse<byte[]> up = Http.get(server.uri("/v1/healthz"));
        assertThat(up.statusCode()).as(Http.text(up)).isEqualTo(200);
        JsonNode body = Http.json(up);
        assertThat(body.get("status").asText()).isEqualTo("up");
        assertThat(body.at("/checks/database/status").asText()).isEqualTo("up");
        assertThat(body.at("/checks/cache/status").asText()).isEqualTo("up");
        assertThat(body.get("checks").has("deployer")).as("no deployer runs here").isFalse();

        // The cache directory disappears (an unmounted disk, a deleted volume): the storage cannot find its objects.
        Path cache = server.dataDir.resolve("cache");
        Path moved = temp.resolve("cache-away");
        Files.move(cache, moved);
        HttpResponse<byte[]> down = Http.get(server.uri("/v1/healthz"));
        assertThat(down.statusCode()).as(Http.text(down)).isEqualTo(503);
        JsonNode downBody = Http.json(down);
        assertThat(downBody.get("status").asText()).isEqualTo("down");
        assertThat(downBody.at("/checks/cache/status").asText()).isEqualTo("down");
        assertThat(downBody.at("/checks/cache/reason").asText()).isEqualTo("nix-cache-info is missing");
        assertThat(downBody.at("/checks/database/status").asText()).isEqualTo("up");
        assertThat(Http.text(down)).doesNotContain(temp.toString());

        Files.move(moved, cache);
        assertThat(Http.get(server.uri("/v1/healthz")).statusCode()).isEqualTo(200);
    }
}
