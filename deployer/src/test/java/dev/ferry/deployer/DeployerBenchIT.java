package dev.ferry.deployer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.cache.Manifest;
import dev.ferry.nix.StorePath;
import dev.ferry.testkit.RequiresPrograms;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * The figures in docs/benchmarks.md, with real systemd, Caddy and Nix (no fakes): a reconcile pass over 100
 * unchanged services, and the time from a generation being written to the new version answering through Caddy,
 * minus the service's own start time. It prints the figures; its assertions check only correctness. It is an IT
 * rather than a {@code ferry bench} command because it needs the isolated world {@link Harness} builds (its own unit
 * prefix on the shared user manager, its own Caddy, profiles and cache); it runs only with {@code -Dferry.bench=true}.
 */
@RequiresPrograms({"nix", "nix-build", "nix-store", "nix-env", "caddy", "systemctl"})
@EnabledIfSystemProperty(named = "ferry.bench", matches = "true",
        disabledReason = "a benchmark: run with -Dferry.bench=true (docs/benchmarks.md)")
class DeployerBenchIT {
    @TempDir
    Path dir;

    @Test
    void reconcilePassOverAHundredUnchangedServices() throws Exception {
        try (Harness h = new Harness(dir)) {
            StorePath sleeper = h.buildSleeper("bench");
            h.publish(sleeper);
            h.write("100 workers", m -> {
                Manifest next = m;
                for (int i = 0; i < 100; i++) {
                    next = next.withService(Harness.worker(String.format("w%03d", i), sleeper));
                }
                return next;
            });
            Deployer deployer = h.deployer();
            long start = System.nanoTime();
            Deployer.Report first = deployer.reconcile();
            long firstMillis = Duration.ofNanos(System.nanoTime() - start).toMillis();
            assertThat(first.errors()).isEmpty();
            assertThat(h.units()).hasSize(100).allMatch(Systemd.Unit::active);
            List<Long> passes = new ArrayList<>();
            for (int i = 0; i < 7; i++) {
                long t = System.nanoTime();
                Deployer.Report again = deployer.reconcile();
                passes.add(Duration.ofNanos(System.nanoTime() - t).toMillis());
                assertThat(again.steps()).isEmpty();
            }
            List<Long> sorted = passes.stream().sorted().toList();
            System.out.printf("DeployerBenchIT: first pass (100 activations) %d ms; unchanged passes %s ms, "
                    + "median %d ms%n", firstMillis, passes, sorted.get(sorted.size() / 2));
        }
    }

    @Test
    void fromGenerationWrittenToAnsweringThroughCaddy() throws Exception {
        try (Harness h = new Harness(dir)) {
            List<StorePath> versions = new ArrayList<>();
            for (int i = 1; i <= 6; i++) {
                StorePath v = h.buildService("v" + i, true);
                h.publish(v);
                versions.add(v);
            }
            Deployer deployer = h.deployer();
            h.write("v1", m -> m.withService(Harness.service("web", versions.getFirst(), "web.test")));
            assertThat(deployer.reconcile().errors()).isEmpty();
            Thread loop = Thread.ofPlatform().start(() -> deployer.run(Duration.ofSeconds(30)));
            try {
                for (int i = 2; i <= 6; i++) {
                    StorePath v = versions.get(i - 1);
                    String body = "v" + i;
                    long written = System.nanoTime();
                    h.write(body, m -> m.withService(Harness.service("web", v, "web.test")));
                    deployer.wake(); // what the server's notifier does on a write
                    while (!h.get("web.test", "/").body().equals(body)) {
                        Thread.sleep(5);
                    }
                    long total = Duration.ofNanos(System.nanoTime() - written).toMillis();
                    long own = serviceStartMillis(h, v);
                    System.out.printf("DeployerBenchIT: v%d answering through Caddy %d ms after its generation "
                            + "was written; the service alone takes %d ms to answer; difference %d ms%n",
                            i, total, own, total - own);
                }
            } finally {
                deployer.stop();
                loop.join();
            }
        }
    }

    /** How long the service itself takes from exec to its first 2xx, started by hand on a free port. */
    private static long serviceStartMillis(Harness h, StorePath path) throws Exception {
        int port = dev.ferry.testkit.TestEnv.freePorts(1)[0];
        ProcessBuilder pb = new ProcessBuilder(path.absolute() + "/bin/serve");
        pb.environment().put("PORT", Integer.toString(port));
        long t = System.nanoTime();
        Process p = pb.start();
        try {
            assertThat(ReadyCheck.http().await(port, "/healthz", Duration.ofSeconds(10), () -> true)).isTrue();
            return Duration.ofNanos(System.nanoTime() - t).toMillis();
        } finally {
            p.destroy();
            p.waitFor();
        }
    }
}
