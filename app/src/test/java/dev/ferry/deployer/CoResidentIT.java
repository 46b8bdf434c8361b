package dev.ferry.deployer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.app.CoResidentDeployer;
import dev.ferry.nix.StorePath;
import dev.ferry.server.DeployerConfig;
import dev.ferry.server.FerryServer;
import dev.ferry.server.ServerConfig;
import dev.ferry.testkit.RequiresPrograms;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ferry serve} with {@code ferry.deployer.enabled}: the deployer in the server's process. */
@RequiresPrograms({"nix", "nix-build", "nix-store", "nix-env", "caddy", "systemctl"})
class CoResidentIT {
    @TempDir
    Path dir;

    @Test
    void theServersOwnDeployerRunsANewGenerationAndReportsItInHosts() throws Exception {
        try (Harness h = new Harness(dir)) {
            StorePath v1 = h.buildService("v1", true);
            h.publish(v1);
            Path keyFile = Files.writeString(dir.resolve("cache.sec"), h.key.render());
            DeployerSettings s = h.settings();
            Map<String, String> env = Map.ofEntries(Map.entry("FERRY_DATA_DIR", dir.resolve("data").toString()),
                    Map.entry("FERRY_SERVER_PORT", "0"), Map.entry("FERRY_CACHE_URI", "file://" + h.cacheDir),
                    Map.entry("FERRY_CACHE_SECRET_KEY_FILE", keyFile.toString()),
                    Map.entry("FERRY_DEPLOYER_ENABLED", "true"), Map.entry("FERRY_DEPLOYER_HOST", s.host()),
                    Map.entry("FERRY_DEPLOYER_PROFILES_DIR", s.profilesDir().toString()),
                    Map.entry("FERRY_DEPLOYER_STATE_DIR", s.stateDir().toString()),
                    Map.entry("FERRY_DEPLOYER_SYSTEMD_BUS", s.systemdBus()),
                    Map.entry("FERRY_DEPLOYER_UNIT_PREFIX", s.unitPrefix()),
                    Map.entry("FERRY_DEPLOYER_PORT_RANGE", "21000-29999"),
                    Map.entry("FERRY_DEPLOYER_CADDY_ADMIN_URL", s.caddyAdminUrl().toString()),
                    Map.entry("FERRY_DEPLOYER_CADDY_LISTEN", s.caddyListen()),
                    Map.entry("FERRY_DEPLOYER_RECONCILE_INTERVAL", "10m"));
            ServerConfig.Environment environment = new ServerConfig.Environment(env, false, dir);
            ServerConfig config = ServerConfig.load(Optional.empty(), environment);
            DeployerConfig deployer = DeployerConfig.load(Optional.empty(), environment, config.dataDir());
            try (FerryServer server = FerryServer.start(config)) {
                assertThat(CoResidentDeployer.start(server, config, deployer)).contains("deployer enabled for host",
                        "routes in Caddy's server 'ferry', created on " + s.caddyListen() + " if missing, admin API "
                        + s.caddyAdminUrl());
                Thread.sleep(500); // the first pass (nothing to do) and the watcher's first look
                long written = System.nanoTime();
                h.write("v1", m -> m.withService(Harness.service("web", v1, "web.test")));
                while (!h.get("web.test", "/").body().equals("v1")) {
                    assertThat(Duration.ofNanos(System.nanoTime() - written)).isLessThan(Duration.ofSeconds(20));
                    Thread.sleep(10);
                }
                System.out.printf("CoResidentIT: v1 answering %d ms after its generation was written "
                        + "(reconcile interval 10 min)%n", Duration.ofNanos(System.nanoTime() - written).toMillis());
                HttpClient client = HttpClient.newHttpClient();
                String hosts = "";
                for (int i = 0; i < 100 && !hosts.contains("\"serving\""); i++) {
                    Thread.sleep(50);
                    hosts = client.send(HttpRequest.newBuilder(URI.create(server.url() + "/v1/hosts")).build(),
                            HttpResponse.BodyHandlers.ofString()).body();
                }
                assertThat(hosts).contains("\"host\" : \"" + s.host() + "\"", "\"name\" : \"web\"",
                        "\"state\" : \"serving\"", v1.absolute());
                // The passes show in /metrics (the one that started v1 is an activation) and keep health up.
                String metrics = client.send(HttpRequest.newBuilder(URI.create(server.url() + "/metrics")).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
                assertThat(metrics).containsPattern("ferry_deployer_activations_total\\{outcome=\"succeeded\"} [1-9]")
                        .containsPattern("ferry_deployer_reconcile_seconds_count [2-9]")
                        .contains("ferry_deployer_seconds_since_last_good_reconcile ")
                        .doesNotContain("outcome=\"failed\"");
                HttpResponse<String> health = client.send(HttpRequest.newBuilder(URI.create(server.url()
                        + "/v1/healthz")).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(health.statusCode()).as(health.body()).isEqualTo(200);
                assertThat(health.body()).contains("\"deployer\" : {\n      \"status\" : \"up\"");
            }
        }
    }
}
