package dev.ferry.deployer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.nix.StorePath;
import dev.ferry.testkit.RequiresPrograms;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent as a real process ({@code java ... dev.ferry.app.Main deployer --config FILE}) killed with SIGKILL between
 * starting the new unit and switching the route (held there by the test-only {@code FERRY_TEST_PAUSE_BEFORE_SWITCH}),
 * then started again: it converges to one unit serving the new version, with no orphans. Real systemd, Caddy, Nix.
 */
@RequiresPrograms({"nix", "nix-build", "nix-store", "nix-env", "caddy", "systemctl"})
class DeployerKillIT {
    private static final String DOMAIN = "web.test";

    @TempDir
    Path dir;

    private Process agent(Path config, String log, boolean pause) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                "dev.ferry.app.Main", "deployer", "--config", config.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve(log).toFile());
        pb.environment().remove("FERRY_TEST_PAUSE_BEFORE_SWITCH");
        if (pause) {
            pb.environment().put("FERRY_TEST_PAUSE_BEFORE_SWITCH", dir.resolve("go").toString());
        }
        return pb.start();
    }

    @Test
    void sigkillBetweenStartAndSwitchThenRestartConvergesToOneUnitServingTheNewVersion() throws Exception {
        try (Harness h = new Harness(dir)) {
            StorePath v1 = h.buildService("v1", true);
            StorePath v2 = h.buildService("v2", true);
            List.of(v1, v2).forEach(h::publish);
            Path config = AgentConfig.write(h, dir, "poll-interval: 500ms", "reconcile-interval: 500ms");
            h.write("v1", m -> m.withService(Harness.service("web", v1, DOMAIN)));
            assertThat(h.deployer().reconcile().errors()).isEmpty();
            assertThat(h.get(DOMAIN, "/").body()).isEqualTo("v1");

            h.write("v2", m -> m.withService(Harness.service("web", v2, DOMAIN)));
            Process dying = agent(config, "agent-1.log", true);
            Path paused = dir.resolve("go.paused");
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!Files.exists(paused)) {
                assertThat(dying.isAlive()).as("agent alive until paused; log: %s",
                        Files.readString(dir.resolve("agent-1.log"))).isTrue();
                assertThat(System.nanoTime() - deadline).as("agent paused within 60 s").isNegative();
                Thread.sleep(50);
            }
            // Held between starting v2's unit and switching the route: both units run, v1 still serves.
            assertThat(h.units()).hasSize(2);
            assertThat(h.get(DOMAIN, "/").body()).isEqualTo("v1");

            dying.destroyForcibly();
            assertThat(dying.waitFor()).as("exit status of SIGKILL (128 + 9)").isEqualTo(137);
            assertThat(h.units()).as("the kill stops nothing").hasSize(2);
            assertThat(h.get(DOMAIN, "/").body()).isEqualTo("v1");

            Process fresh = agent(config, "agent-2.log", false);
            try {
                deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (!(h.get(DOMAIN, "/").body().equals("v2") && h.units().size() == 1)) {
                    assertThat(fresh.isAlive()).as("restarted agent alive; log: %s",
                            Files.readString(dir.resolve("agent-2.log"))).isTrue();
                    assertThat(System.nanoTime() - deadline).as("converged within 60 s; units %s", h.units())
                            .isNegative();
                    Thread.sleep(50);
                }
                // A few more passes change nothing: still exactly one unit, v2's, and v2 served.
                Thread.sleep(1500);
                assertThat(h.units()).singleElement().matches(u -> u.description().contains(v2.absolute()));
                assertThat(h.get(DOMAIN, "/").body()).isEqualTo("v2");
                assertThat(Files.readString(dir.resolve("agent-2.log"))).contains("switch web");
            } finally {
                fresh.destroy();
                fresh.waitFor();
            }
        }
    }
}
