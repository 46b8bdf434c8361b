package dev.ferry.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.cache.Storage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetricsTest {
    @TempDir
    Path temp;

    /** A clock the test moves by hand. */
    static final class ManualClock extends Clock {
        Instant now;

        ManualClock() {
            this(Instant.parse("2026-11-23T12:00:00Z"));
        }

        ManualClock(Instant now) {
            this.now = now;
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    @Test
    void theExpositionHasEveryMetricWithHelpAndTypeAndItsValues() {
        ManualClock clock = new ManualClock();
        Metrics metrics = new Metrics(clock);
        metrics.buildEnded("succeeded");
        metrics.buildEnded("succeeded");
        metrics.buildEnded("failed");
        metrics.phase("build", Duration.ofMillis(1500));
        metrics.phase("build", Duration.ofMillis(500));
        metrics.narinfo(true);
        metrics.narinfo(false);
        metrics.narinfo(false);
        metrics.narBytesServed(100);
        metrics.reconciled(true, true, Duration.ofMillis(250));
        metrics.reconciled(false, true, Duration.ofMillis(250));
        metrics.reconciled(false, false, Duration.ofMillis(500));
        clock.now = clock.now.plusSeconds(7);
        String text = metrics.render();
        assertThat(text).contains(
                "# HELP ferry_builds_total Builds ended, by status.\n# TYPE ferry_builds_total counter\n"
                        + "ferry_builds_total{status=\"failed\"} 1\nferry_builds_total{status=\"succeeded\"} 2\n",
                "# TYPE ferry_build_phase_seconds summary\n",
                "ferry_build_phase_seconds_count{phase=\"build\"} 2\nferry_build_phase_seconds_sum{phase=\"build\"} 2.0\n",
                "ferry_published_paths_total 0\n",
                "ferry_narinfo_requests_total{result=\"hit\"} 1\nferry_narinfo_requests_total{result=\"miss\"} 2\n",
                "ferry_nar_served_bytes_total 100\n",
                "ferry_generations_written_total 0\n",
                "ferry_deployer_activations_total{outcome=\"failed\"} 1\n"
                        + "ferry_deployer_activations_total{outcome=\"succeeded\"} 1\n",
                "ferry_deployer_reconcile_seconds_count 3\nferry_deployer_reconcile_seconds_sum 1.0\n",
                "# TYPE ferry_deployer_seconds_since_last_good_reconcile gauge\n"
                        + "ferry_deployer_seconds_since_last_good_reconcile 7.0\n");
        // Every sample line belongs to a metric announced by # TYPE above it.
        String current = "";
        for (String line : text.split("\n")) {
            if (line.startsWith("# TYPE ")) {
                current = line.split(" ")[2];
            } else if (!line.startsWith("#")) {
                assertThat(line).startsWith(current).matches("[a-z_]+(\\{[a-z]+=\"[a-z]+\"})? [0-9.E]+");
            }
        }
    }

    @Test
    void withoutAGoodPassTheGaugeCountsFromTheDeployersStartAndWithoutADeployerItIsAbsent() {
        Metrics metrics = Metrics.create();
        metrics.reconciled(false, false, Duration.ofMillis(1));
        assertThat(metrics.render()).doesNotContain("seconds_since_last_good_reconcile");
        assertThat(metrics.sinceGoodReconcile()).isEmpty();

        ManualClock clock = new ManualClock(Instant.parse("2026-11-23T17:00:00Z"));
        Metrics watched = new Metrics(clock);
        watched.deployerStarted();
        watched.reconciled(false, false, Duration.ofMillis(1)); // a refused manifest, say: never a good pass
        clock.now = clock.now.plusSeconds(95);
        assertThat(watched.render()).contains("ferry_deployer_seconds_since_last_good_reconcile 95.0\n");
    }

    @Test
    void theMeteredStorageCountsNarinfosNarBytesAndGenerationsButNotTombstones() {
        Metrics metrics = Metrics.create();
        Storage storage = new MeteredStorage(dev.ferry.cache.CacheUri.parse(temp.toUri().toString()).open(), metrics);
        storage.put("nix-cache-info", "StoreDir: /nix/store\n".getBytes(StandardCharsets.UTF_8));
        storage.put("0123456789abcdfghijklmnpqrsvwxyz.narinfo", "x".getBytes(StandardCharsets.UTF_8));
        storage.write("nar/abc.nar.zst", 5, out -> out.write(new byte[] {1, 2, 3, 4, 5}));
        assertThat(storage.createIfAbsent("manifests/manifest-1.json", "{\"generation\":1}".getBytes(
                StandardCharsets.UTF_8))).isTrue();
        assertThat(storage.createIfAbsent("manifests/manifest-1.json", "{}".getBytes(StandardCharsets.UTF_8)))
                .isFalse();
        storage.createIfAbsent("manifests/manifest-2.json", "{\"abandoned\":true,\"generation\":2}".getBytes(
                StandardCharsets.UTF_8));
        storage.createIfAbsent("manifests/manifest-3.json.sig", "k:sig".getBytes(StandardCharsets.UTF_8));
        assertThat(metrics.render()).contains("ferry_published_paths_total 1\n", "ferry_published_bytes_total 5\n",
                "ferry_generations_written_total 1\n");
    }

    @Test
    void theDeployerIsFreshForThreeIntervalsAfterItsLastGoodPass() {
        ManualClock clock = new ManualClock();
        Metrics metrics = new Metrics(clock);
        Health health = new Health(dev.ferry.cache.CacheUri.parse(temp.toUri().toString()).open(), Optional.empty(), metrics, clock);
        assertThat(health.deployerProblem()).as("no deployer watched").isEmpty();
        health.watchDeployer(Duration.ofSeconds(10));
        clock.now = clock.now.plusSeconds(29);
        assertThat(health.deployerProblem()).as("starting: 29s without a pass").isEmpty();
        clock.now = clock.now.plusSeconds(1);
        assertThat(health.deployerProblem()).hasValue("no good reconcile pass for 30s (interval 10s)");
        metrics.reconciled(true, false, Duration.ofMillis(5));
        assertThat(health.deployerProblem()).isEmpty();
        metrics.reconciled(false, true, Duration.ofMillis(5));
        clock.now = clock.now.plusSeconds(31);
        assertThat(health.deployerProblem()).hasValue("no good reconcile pass for 31s (interval 10s)");
    }
}
