package dev.ferry.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code POST /v1/hosts/{host}} and {@code GET /v1/hosts} over HTTP, in-process: auth, bad bodies, the listing. */
class HostReportsTest {
    private static final String TOKEN = "report-token-0123456789";
    private static final Instant REPORTED = Instant.parse("2026-11-23T17:00:00Z");
    private static final String REPORT = """
            {"generation": 4, "services": [{"name": "web", "state": "serving", "desiredPath": "/nix/store/x-web",
             "runningPath": "/nix/store/x-web", "unit": "ferry-web-g4-1a2b.service", "unitState": "active",
             "port": 21000, "route": "127.0.0.1:21000"}], "errors": []}
            """;

    @TempDir
    Path dir;

    FerryServer server;
    MetricsTest.ManualClock clock = new MetricsTest.ManualClock(REPORTED);

    @BeforeEach
    void start() {
        ServerConfig config = ServerConfig.load(Optional.empty(), new ServerConfig.Environment(Map.of(
                "FERRY_DATA_DIR", dir.resolve("data").toString(), "FERRY_SERVER_PORT", "0",
                "FERRY_SERVER_HOST", "127.0.0.1", "FERRY_CACHE_URI", "file://" + dir.resolve("cache")), false, dir));
        server = FerryServer.start(config);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private URI uri(String path) {
        return URI.create(server.url() + path);
    }

    private HttpResponse<byte[]> post(String host, String body, String... headers) {
        return Http.send("POST", uri("/v1/hosts/" + host), body.getBytes(StandardCharsets.UTF_8), headers);
    }

    private JsonNode hosts() throws Exception {
        HttpResponse<byte[]> response = Http.get(uri("/v1/hosts"));
        assertThat(response.statusCode()).isEqualTo(200);
        return Json.MAPPER.readTree(response.body());
    }

    @Test
    void aReportWithTheTokenIsListedWithItsTimeAndAge() throws Exception {
        server.deployer().acceptReports(HostReports.token(TOKEN, clock));
        assertThat(post("edge-1", REPORT, Http.bearer(TOKEN)).statusCode()).isEqualTo(204);
        clock.now = REPORTED.plusSeconds(42);

        JsonNode host = hosts().path("hosts").get(0);
        assertThat(host.path("host").asText()).isEqualTo("edge-1");
        assertThat(host.path("mode").asText()).isEqualTo("reporting");
        assertThat(host.path("reportedAt").asText()).isEqualTo("2026-11-23T17:00:00Z");
        assertThat(host.path("ageSeconds").asLong()).isEqualTo(42);
        assertThat(host.path("generation").asLong()).isEqualTo(4);
        JsonNode web = host.path("services").get(0);
        assertThat(web.path("state").asText()).isEqualTo("serving");
        assertThat(web.path("port").asInt()).isEqualTo(21000);
        assertThat(web.path("unit").asText()).isEqualTo("ferry-web-g4-1a2b.service");

        // The next report replaces the last one: one entry per host.
        assertThat(post("edge-1", REPORT.replace("\"generation\": 4", "\"generation\": 5"), Http.bearer(TOKEN))
                .statusCode()).isEqualTo(204);
        assertThat(hosts().path("hosts")).hasSize(1);
        assertThat(hosts().path("hosts").get(0).path("generation").asLong()).isEqualTo(5);
    }

    @Test
    void aHostTheNewestManifestNamesThatNoDeployerServesIsListedAsUnreported() throws Exception {
        var key = dev.ferry.nix.SecretKey.generate("hosts-test-1");
        var path = dev.ferry.nix.StorePath.parse("/nix/store/" + "a".repeat(32) + "-web");
        server.storage().put(path.hashPart() + ".narinfo", ("StorePath: " + path + "\n")
                .getBytes(StandardCharsets.UTF_8));
        java.util.function.BiFunction<String, java.util.List<String>, dev.ferry.cache.Manifest.Service> service =
                (name, hosts) -> new dev.ferry.cache.Manifest.Service(name,
                        dev.ferry.cache.Manifest.Artifact.nixClosure(path), hosts, new dev.ferry.cache.Manifest.Exec(
                        "web", java.util.List.of(), Optional.empty(), Optional.empty()), Map.of(), Optional.empty(),
                        Optional.empty(), Optional.empty(), dev.ferry.cache.Manifest.Systemd.DEFAULT,
                        dev.ferry.cache.Manifest.Hardening.DEFAULT, Optional.empty());
        dev.ferry.cache.ManifestStore.create(server.storage()).update(key,
                dev.ferry.cache.ManifestVerifier.trusting(java.util.List.of(key.publicKey())), "hosts", m -> m
                        .withService(service.apply("web", java.util.List.of("edge-1", "edge-9")))
                        .withService(service.apply("api", java.util.List.of("edge-9")))
                        .withService(service.apply("everywhere", java.util.List.of())));
        server.deployer().acceptReports(HostReports.token(TOKEN, clock));
        assertThat(post("edge-1", REPORT, Http.bearer(TOKEN)).statusCode()).isEqualTo(204);

        JsonNode hosts = hosts().path("hosts");

        assertThat(hosts).hasSize(2);
        assertThat(hosts.get(0).path("mode").asText()).isEqualTo("reporting");
        assertThat(hosts.get(1).path("host").asText()).isEqualTo("edge-9");
        assertThat(hosts.get(1).path("mode").asText()).isEqualTo("unreported");
        assertThat(hosts.get(1).path("expected")).extracting(JsonNode::asText).containsExactly("api", "web");
    }

    @Test
    void withoutOrWithAWrongTokenTheReportIsRefusedAndNothingIsListed() throws Exception {
        server.deployer().acceptReports(HostReports.token(TOKEN, clock));
        assertThat(post("edge-1", REPORT).statusCode()).isEqualTo(401);
        assertThat(Http.text(post("edge-1", REPORT))).startsWith("the report token is required (Authorization: "
                + "Bearer TOKEN)");
        assertThat(post("edge-1", REPORT, Http.bearer(TOKEN + "x")).statusCode()).isEqualTo(401);
        assertThat(Http.text(post("edge-1", REPORT, Http.bearer(TOKEN + "x"))))
                .startsWith("the token presented is not the report token");
        assertThat(post("edge-1", REPORT, Http.basic("agent", TOKEN)).statusCode()).isEqualTo(401);
        assertThat(hosts().path("hosts")).isEmpty();
    }

    @Test
    void withoutATokenFileReportsAreDisabled() throws Exception {
        HttpResponse<byte[]> response = post("edge-1", REPORT, Http.bearer(TOKEN));
        assertThat(response.statusCode()).isEqualTo(403);
        assertThat(Http.text(response)).contains("ferry.deployer.report-token-file");
        assertThat(hosts().path("hosts")).isEmpty();
    }

    @Test
    void badBodiesAreRefusedWith400NamingTheProblem() throws Exception {
        server.deployer().acceptReports(HostReports.token(TOKEN, clock));
        Map<String, String> bad = Map.of(
                "not json", "the body is not JSON",
                "[1, 2]", "JSON object",
                "{\"services\": []}", "generation",
                "{\"generation\": -1, \"services\": []}", "generation",
                "{\"generation\": 1.5, \"services\": []}", "generation",
                "{\"generation\": 1}", "services",
                "{\"generation\": 1, \"services\": [{\"name\": \"web\"}]}", "name and state",
                "{\"generation\": 1, \"services\": [{\"name\": \"w\", \"state\": \"s\", \"port\": 70000}]}", "port",
                "{\"generation\": 1, \"services\": [{\"name\": \"w\", \"state\": \"s\", \"unit\": 3}]}", "unit",
                "{\"generation\": 1, \"services\": [], \"errors\": \"boom\"}", "errors");
        for (Map.Entry<String, String> e : bad.entrySet()) {
            HttpResponse<byte[]> response = post("edge-1", e.getKey(), Http.bearer(TOKEN));
            assertThat(response.statusCode()).as(e.getKey()).isEqualTo(400);
            assertThat(Http.text(response)).as(e.getKey()).contains(e.getValue());
        }
        assertThat(post("bad%20host", REPORT, Http.bearer(TOKEN)).statusCode()).isEqualTo(400);
        assertThat(hosts().path("hosts")).isEmpty();
    }

    @Test
    void aShortTokenIsRefused() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> HostReports.token("short", clock))
                .hasMessageContaining("at least 16");
    }
}
