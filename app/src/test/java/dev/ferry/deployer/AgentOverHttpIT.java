package dev.ferry.deployer;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ferry.app.HostReporter;
import dev.ferry.cache.ManifestStore;
import dev.ferry.nix.StorePath;
import dev.ferry.process.ProcessRunner;
import dev.ferry.server.FerryServer;
import dev.ferry.server.HostReports;
import dev.ferry.server.ServerConfig;
import dev.ferry.testkit.RequiresPrograms;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An agent on "another host" reading a Ferry server over HTTP: manifests through {@code /cache}, closures substituted
 * from {@code /cache}, new generations learned through the long poll ({@code GET /v1/manifest/wait}) with a
 * reconcile interval far too long to be what finds them; after every pass it reports its status, which the server
 * lists in {@code GET /v1/hosts}. Real systemd, Caddy and Nix.
 */
@RequiresPrograms({"nix", "nix-build", "nix-store", "nix-env", "caddy", "systemctl"})
class AgentOverHttpIT {
    @TempDir
    Path dir;

    @Test
    void anAgentOverHttpPicksUpANewGenerationAtOnceAndSubstitutesFromTheServer() throws Exception {
        try (Harness h = new Harness(dir)) {
            ServerConfig config = serverOf(h);
            StorePath v1 = h.buildService("v1", true);
            StorePath v2 = h.buildService("v2", true);
            List.of(v1, v2).forEach(h::publish);
            String token = "agent-report-token-0123456789";
            Path tokenFile = Files.writeString(dir.resolve("report.token"), token + "\n");
            try (FerryServer server = FerryServer.start(config)) {
                server.deployer().acceptReports(HostReports.fromFile(tokenFile));
                HttpStorage storage = HttpStorage.of(server.cacheUrl());
                DeployerSettings base = h.settings();
                DeployerSettings settings = new DeployerSettings(server.cacheUrl(), base.host(), base.trustedKeys(),
                        List.of(server.cacheUrl()), base.profilesDir(), base.keepGenerations(), base.stateDir(),
                        base.systemdBus(), base.unitPrefix(), base.portFirst(), base.portLast(),
                        base.caddyAdminUrl(), base.caddyListen(), Duration.ofMinutes(10), Duration.ofMinutes(10));
                Deployer agent = Deployer.create(settings, ManifestStore.create(storage), h.systemd,
                        Caddy.admin(settings.caddyAdminUrl()), NixStore.cli(ProcessRunner.local(),
                                settings.profilesDir()), ReadyCheck.http(), Duration.ofMillis(500), unit -> { });

                h.write("v1", m -> m.withService(Harness.service("web", v1, "web.test")));
                HostReporter reporter = HostReporter.to(storage.server(), settings.host(),
                        HostReports.readToken(tokenFile), agent);
                Thread loop = Thread.ofPlatform().start(() -> agent.run(settings.reconcileInterval(), reporter));
                Thread ear = Thread.ofPlatform().start(() -> LongPoll.follow(storage.server(), agent));
                try {
                    awaitBody(h, "v1", Duration.ofSeconds(20));

                    // v2 is not in this host's store: it comes from the server's /cache, signed by the trusted key.
                    Harness.nix("nix-store", "--delete", v2.absolute());
                    long written = System.nanoTime();
                    h.write("v2", m -> m.withService(Harness.service("web", v2, "web.test")));
                    awaitBody(h, "v2", Duration.ofSeconds(20));
                    long millis = Duration.ofNanos(System.nanoTime() - written).toMillis();
                    System.out.printf("AgentOverHttpIT: v2 answering through Caddy %d ms after its generation was "
                            + "written (reconcile interval 10 min; includes substituting v2 over HTTP)%n", millis);
                    assertThat(NixStore.cli(ProcessRunner.local(), settings.profilesDir()).isValid(v2)).isTrue();
                    // The pass records generation 2 once the old unit has drained and stopped.
                    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
                    while (agent.state().lastApplied() != 2 && System.nanoTime() < deadline) {
                        Thread.sleep(20);
                    }
                    assertThat(agent.state().lastApplied()).isEqualTo(2);
                    assertThat(h.units()).hasSize(1);

                    // The agent reported its pass: the server lists its host with web serving v2.
                    JsonNode web = awaitReported(server, settings.host(), v2, Duration.ofSeconds(10));
                    assertThat(web.path("state").asText()).isEqualTo("serving");
                    assertThat(web.path("unit").asText()).isEqualTo(h.units().getFirst().name());
                } finally {
                    ear.interrupt();
                    agent.stop();
                    loop.join();
                    ear.join();
                }
            }
        }
    }

    @Test
    void onceOverHttpReportsToTheServerAndAWrongUrlChangesNothing() throws Exception {
        try (Harness h = new Harness(dir)) {
            ServerConfig config = serverOf(h);
            StorePath v1 = h.buildService("v1", true);
            h.publish(v1);
            Path tokenFile = Files.writeString(dir.resolve("report.token"), "agent-report-token-0123456789\n");
            Path wrongToken = Files.writeString(dir.resolve("wrong.token"), "not-the-report-token-0123456789\n");
            try (FerryServer server = FerryServer.start(config)) {
                server.deployer().acceptReports(HostReports.fromFile(tokenFile));
                h.write("v1", m -> m.withService(Harness.service("web", v1, "web.test")));
                String file = Files.readString(AgentConfig.write(h, dir, "report-token-file: " + tokenFile))
                        .replace("file://" + h.cacheDir, server.cacheUrl());
                Path agent = Files.writeString(dir.resolve("agent.yaml"), file);

                Run once = ferry("deployer", "--config", agent.toString(), "--once");
                assertThat(once.exit()).as(once.err()).isZero();
                assertThat(once.out()).contains("generation 1: converged");
                assertThat(once.err()).doesNotContain("warning");
                assertThat(h.get("web.test", "/").body()).isEqualTo("v1");
                assertThat(awaitReported(server, Harness.HOST, v1, Duration.ofSeconds(1)).path("state").asText())
                        .isEqualTo("serving");

                // A wrong token fails the report, not the pass, and says so.
                Path wrong = Files.writeString(dir.resolve("wrong.yaml"), file.replace(tokenFile.toString(),
                        wrongToken.toString()));
                Run unreported = ferry("deployer", "--config", wrong.toString(), "--once");
                assertThat(unreported.exit()).as(unreported.err()).isZero();
                assertThat(unreported.err()).contains("ferry: warning: reporting to " + server.url() + "/v1/hosts/"
                        + Harness.HOST + " answered 401");

                // The server's root instead of its /cache, with state.json gone: no generation there, and no cache
                // either. Nothing is stopped; the pass fails and says where it looked.
                Files.delete(h.settings().stateDir().resolve("state.json"));
                Path root = Files.writeString(dir.resolve("root.yaml"), file.replace("manifest-uri: "
                        + server.cacheUrl(), "manifest-uri: " + server.url() + "/"));
                Run mistyped = ferry("deployer", "--config", root.toString(), "--once");
                assertThat(mistyped.exit()).isEqualTo(1);
                assertThat(mistyped.err()).contains("no binary cache at " + server.url() + "/ (it has no "
                        + "nix-cache-info): check ferry.deployer.manifest-uri");
                assertThat(mistyped.out()).doesNotContain("stop ");
                assertThat(h.get("web.test", "/").body()).isEqualTo("v1");
                assertThat(h.units()).hasSize(1);
            }
        }
    }

    /** A server of {@code h}'s cache, signing with its key, on a free port. */
    private ServerConfig serverOf(Harness h) throws java.io.IOException {
        Path keyFile = Files.writeString(dir.resolve("cache.sec"), h.key.render());
        return ServerConfig.load(Optional.empty(), new ServerConfig.Environment(Map.of(
                "FERRY_DATA_DIR", dir.resolve("data").toString(), "FERRY_SERVER_PORT", "0",
                "FERRY_CACHE_URI", "file://" + h.cacheDir, "FERRY_CACHE_SECRET_KEY_FILE", keyFile.toString()),
                false, dir));
    }

    private record Run(int exit, String out, String err) {
    }

    private static Run ferry(String... args) {
        java.io.StringWriter out = new java.io.StringWriter();
        java.io.StringWriter err = new java.io.StringWriter();
        picocli.CommandLine cli = dev.ferry.app.Main.commandLine(args);
        cli.setOut(new java.io.PrintWriter(out));
        cli.setErr(new java.io.PrintWriter(err));
        int exit = cli.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    /** Polls {@code GET /v1/hosts} until {@code host} reports web running {@code path}; returns web's entry. */
    private static JsonNode awaitReported(FerryServer server, String host, StorePath path, Duration max)
            throws Exception {
        HttpClient client = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + max.toNanos();
        JsonNode hosts;
        while (true) {
            HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create(server.url()
                    + "/v1/hosts")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).isEqualTo(200);
            hosts = new ObjectMapper().readTree(response.body()).path("hosts");
            for (JsonNode h : hosts) {
                if (h.path("host").asText().equals(host) && h.path("mode").asText().equals("reporting")) {
                    assertThat(h.path("reportedAt").asText()).isNotEmpty();
                    assertThat(h.path("ageSeconds").asLong()).isBetween(0L, 60L);
                    for (JsonNode s : h.path("services")) {
                        if (s.path("name").asText().equals("web")
                                && s.path("runningPath").asText().equals(path.absolute())) {
                            return s;
                        }
                    }
                }
            }
            assertThat(System.nanoTime() - deadline).as("host %s reported in %s: %s", host, max, hosts)
                    .isNegative();
            Thread.sleep(50);
        }
    }

    private static void awaitBody(Harness h, String body, Duration max) throws InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        while (!h.get("web.test", "/").body().equals(body)) {
            assertThat(System.nanoTime() - deadline).as("%s answering within %s", body, max).isNegative();
            Thread.sleep(10);
        }
    }
}
