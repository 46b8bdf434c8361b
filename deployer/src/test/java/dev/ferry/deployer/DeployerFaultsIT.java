package dev.ferry.deployer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ferry.cache.Manifest;
import dev.ferry.cache.ManifestStore;
import dev.ferry.nix.StorePath;
import dev.ferry.testkit.RequiresPrograms;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Faults: a restarted Caddy, a deployer that dies mid-switch, tampered and unsigned manifests. */
@RequiresPrograms({"nix", "nix-build", "nix-store", "nix-env", "caddy", "systemctl"})
class DeployerFaultsIT {
    private static final String DOMAIN = "web.test";

    @TempDir
    Path dir;

    @Test
    void caddyRestartedEmptyGetsItsRoutesBackWithinOneInterval() throws Exception {
        try (Harness h = new Harness(dir)) {
            Deployer deployer = servingV1(h);

            // A duplicate @id slipped in (Caddy 2.6 accepts them): the next pass leaves exactly one.
            HttpClient client = HttpClient.newHttpClient();
            String route = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + h.adminPort
                    + "/id/" + h.prefix + "web")).build(), HttpResponse.BodyHandlers.ofString()).body();
            client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + h.adminPort
                            + "/config/apps/http/servers/ferry/routes")).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(route)).build(), HttpResponse.BodyHandlers.discarding());
            Caddy caddy = Caddy.admin(URI.create("http://127.0.0.1:" + h.adminPort));
            assertThat(caddy.routes(h.prefix)).hasSize(2);
            assertThat(deployer.reconcile().errors()).isEmpty();
            assertThat(caddy.routes(h.prefix)).hasSize(1);

            // Caddy down: the pass changes nothing and says why.
            h.stopCaddy();
            Deployer.Report down = deployer.reconcile();
            assertThat(String.join("\n", down.errors())).contains("cannot observe this host", "unreachable");
            assertThat(down.steps()).isEmpty();
            assertThat(h.units()).hasSize(1);
            h.startCaddy();

            Duration interval = Duration.ofSeconds(2);
            Thread loop = Thread.ofPlatform().start(() -> deployer.run(interval));
            try {
                Harness.sleep(300);
                h.stopCaddy();
                h.startCaddy();
                long restarted = System.nanoTime();
                assertThat(h.get(DOMAIN, "/").body()).as("nothing serves v1 right after the restart")
                        .isNotEqualTo("v1");
                while (!h.get(DOMAIN, "/").body().equals("v1")
                        && System.nanoTime() - restarted < interval.toNanos() + Duration.ofSeconds(3).toNanos()) {
                    Harness.sleep(50);
                }
                long back = Duration.ofNanos(System.nanoTime() - restarted).toMillis();
                System.out.printf("DeployerFaultsIT: routes back %d ms after Caddy restarted (interval %d ms)%n",
                        back, interval.toMillis());
                assertThat(h.get(DOMAIN, "/").body()).isEqualTo("v1");
                assertThat(back).as("within one reconcile interval (plus a pass)").isLessThan(
                        interval.toMillis() + 1500);
                assertThat(h.units()).hasSize(1);
            } finally {
                deployer.stop();
                loop.join();
            }
        }
    }

    @Test
    void deployerKilledBetweenStartAndSwitchConvergesWithoutDuplicates() throws Exception {
        try (Harness h = new Harness(dir)) {
            StorePath v1 = h.buildService("v1", true);
            StorePath v2 = h.buildService("v2", true);
            List.of(v1, v2).forEach(h::publish);
            h.write("v1", m -> m.withService(Harness.service("web", v1, DOMAIN)));
            assertThat(h.deployer().reconcile().errors()).isEmpty();

            h.write("v2", m -> m.withService(Harness.service("web", v2, DOMAIN)));
            Deployer dying = h.deployer(unit -> {
                throw new IllegalStateException("simulated crash after starting " + unit);
            });
            assertThatThrownBy(dying::reconcile).hasMessageContaining("simulated crash");
            assertThat(h.units()).hasSize(2);
            assertThat(h.get(DOMAIN, "/").body()).isEqualTo("v1");

            Deployer fresh = h.deployer();
            Deployer.Report report = fresh.reconcile();
            assertThat(report.errors()).isEmpty();
            assertThat(report.steps()).singleElement().asString().startsWith("switch web");
            assertThat(h.get(DOMAIN, "/").body()).isEqualTo("v2");
            assertThat(h.units()).singleElement().matches(u -> u.description().contains(v2.absolute()));
            assertThat(fresh.reconcile().steps()).isEmpty();
        }
    }

    @Test
    void tamperedAndUnsignedGenerationsChangeNothingAndAreReported() throws Exception {
        try (Harness h = new Harness(dir)) {
            Deployer deployer = servingV1(h);
            long g1 = 1; // what servingV1 wrote
            String unit = h.units().getFirst().name();

            // Generation 2: generation 1's text with another store path and generation number, under 1's signature.
            String json = Files.readString(h.cacheDir.resolve(ManifestStore.jsonKey(g1)));
            String tampered = json.replace("\"generation\": " + g1, "\"generation\": " + (g1 + 1))
                    .replace("\"GREETING\": \"hello\"", "\"GREETING\": \"pwned\"");
            assertThat(tampered).isNotEqualTo(json);
            Files.writeString(h.cacheDir.resolve(ManifestStore.signatureKey(g1 + 1)),
                    Files.readString(h.cacheDir.resolve(ManifestStore.signatureKey(g1))));
            Files.writeString(h.cacheDir.resolve(ManifestStore.jsonKey(g1 + 1)), tampered, StandardCharsets.UTF_8);

            Deployer.Report report = deployer.reconcile();
            assertThat(report.ok()).isFalse();
            assertThat(String.join("\n", report.errors())).contains("refused").contains("does not match");
            assertThat(report.steps()).isEmpty();
            assertThat(h.units()).singleElement().matches(u -> u.name().equals(unit));
            assertThat(h.get(DOMAIN, "/").body()).isEqualTo("v1");
            assertThat(deployer.state().errors()).anyMatch(e -> e.contains("refused"));

            // Generation 3 without any signature.
            Files.writeString(h.cacheDir.resolve(ManifestStore.jsonKey(g1 + 2)),
                    tampered.replace("\"generation\": " + (g1 + 1), "\"generation\": " + (g1 + 2)));
            Deployer.Report unsigned = deployer.reconcile();
            assertThat(String.join("\n", unsigned.errors())).contains("unsigned");
            assertThat(h.units()).singleElement().matches(u -> u.name().equals(unit));
        }
    }

    @Test
    void aCacheWithoutAnyGenerationAnyMoreTearsNothingDown() throws Exception {
        try (Harness h = new Harness(dir)) {
            Deployer deployer = servingV1(h);
            String unit = h.units().getFirst().name();

            // The manifests are gone (a wiped cache, or the URI now names another one).
            dev.ferry.nix.FileTrees.delete(h.cacheDir.resolve("manifests"));
            Files.delete(h.cacheDir.resolve("manifest.json"));
            Files.delete(h.cacheDir.resolve("manifest.json.sig"));

            Deployer.Report report = deployer.reconcile();
            assertThat(String.join("\n", report.errors())).contains("no manifest generation")
                    .contains("generation 1 was applied");
            assertThat(report.steps()).isEmpty();
            assertThat(h.units()).singleElement().matches(u -> u.name().equals(unit));
            assertThat(h.get(DOMAIN, "/").body()).isEqualTo("v1");
        }
    }

    /**
     * Another process's pass (a {@code ferry deployer --once} beside the agent) holds the state directory: this pass
     * waits for it instead of activating and changing Caddy's routes at the same time, then runs.
     */
    @Test
    void aPassWaitsWhileAnotherProcessRunsOneOnTheSameStateDirectory() throws Exception {
        try (Harness h = new Harness(dir)) {
            Path holder = Files.writeString(dir.resolve("Hold.java"), """
                    import java.nio.channels.FileChannel;
                    import java.nio.file.*;
                    public class Hold {
                        public static void main(String[] a) throws Exception {
                            try (FileChannel c = FileChannel.open(Path.of(a[0]), StandardOpenOption.CREATE,
                                    StandardOpenOption.WRITE); var lock = c.lock()) {
                                System.out.println("locked");
                                System.out.flush();
                                System.in.read(); // until the test closes standard input
                            }
                        }
                    }
                    """);
            Files.createDirectories(h.stateDir);
            String launcher = ProcessHandle.current().info().command().orElse("java");
            Process other = new ProcessBuilder(launcher, holder.toString(), h.stateDir.resolve("pass.lock").toString())
                    .redirectError(dir.resolve("hold.err").toFile()).start();
            java.util.concurrent.CompletableFuture<Deployer.Report> pass = null;
            try {
                var out = new java.io.BufferedReader(new java.io.InputStreamReader(other.getInputStream(),
                        StandardCharsets.UTF_8));
                assertThat(out.readLine()).as("the other process took the lock (its stderr: hold.err)")
                        .isEqualTo("locked");
                pass = java.util.concurrent.CompletableFuture.supplyAsync(() -> h.deployer().reconcile());
                Thread.sleep(1000);
                assertThat(pass).as("the pass waits while the other process holds the lock").isNotDone();
                other.getOutputStream().close();
                assertThat(pass.get(30, java.util.concurrent.TimeUnit.SECONDS).errors()).isEmpty();
            } finally {
                other.destroyForcibly().waitFor();
                if (pass != null) {
                    pass.handle((report, error) -> null).get(60, java.util.concurrent.TimeUnit.SECONDS);
                }
            }
        }
    }

    /**
     * A version whose program exits (status 2) before it answers is reported as soon as systemd sees it exit, with the
     * status and the journal to read, not after the whole ready timeout (30 s here); the new unit is stopped and the
     * previous version keeps serving. Whether the exit is seen by the start wait or by the ready check depends on how
     * soon it comes: a program that runs a second first is seen by the ready check.
     */
    @Test
    void aServiceThatExitsBeforeAnsweringIsReportedWithinSecondsWithItsStatus() throws Exception {
        try (Harness h = new Harness(dir)) {
            Deployer deployer = servingV1(h);
            String serving = h.units().getFirst().name();
            StorePath later = h.buildExiting(2, 1);
            StorePath atOnce = h.buildExiting(2, 0);
            List.of(later, atOnce).forEach(h::publish);

            h.write("exits after a second", m -> m.withService(readyWithin30s(Harness.service("web", later, DOMAIN))));
            String error = failingPass(h, deployer, "exits after a second");
            assertThat(error).startsWith(h.prefix + "web-g2-").contains(".service (generation 2) exited (status 2) "
                    + "before it answered GET http://127.0.0.1:").contains("/healthz; see journalctl --user -u "
                    + h.prefix + "web-g2-").containsPattern("\\.service; the previous version keeps serving; tried "
                    + "again at \\d\\d:\\d\\d:\\d\\d UTC \\(in 30 s\\)$");
            assertThat(h.units()).extracting(Systemd.Unit::name).containsExactly(serving);
            assertThat(h.get(DOMAIN, "/").body()).isEqualTo("v1");

            h.write("exits at once", m -> m.withService(readyWithin30s(Harness.service("web", atOnce, DOMAIN))));
            String first = failingPass(h, deployer, "exits at once");
            assertThat(first).contains(h.prefix + "web-g3-", "exited (status 2)", "tried again at ", "(in 30 s)",
                    "the previous version keeps serving", "journalctl --user -u " + h.prefix + "web-g3-");
            assertThat(h.units()).extracting(Systemd.Unit::name).containsExactly(serving);
            assertThat(h.get(DOMAIN, "/").body()).isEqualTo("v1");
            // systemd would have restarted it (Restart=on-failure), so it may wait for something not up yet: it is
            // tried again, in a new unit, but not before its back-off has passed. Until then a pass leaves it be.
            int started = h.units().size();
            Deployer.Report waiting = deployer.reconcile();
            assertThat(waiting.steps()).isEmpty();
            assertThat(waiting.errors()).isEmpty();
            assertThat(waiting.services()).singleElement().satisfies(s -> {
                assertThat(s.failed()).isTrue();
                assertThat(s.lastError()).hasValue(first);
            });
            assertThat(h.units()).hasSize(started);
            deployer.clock(java.time.Clock.offset(java.time.Clock.systemUTC(), Duration.ofSeconds(31)));
            String again = failingPass(h, deployer, "exits at once, tried again");
            assertThat(again).contains(h.prefix + "web-g3-", "exited (status 2)", "(in 1 min; failure 2 in a row)");
            assertThat(unitOf(again)).isNotEqualTo(unitOf(first));
            assertThat(h.units()).extracting(Systemd.Unit::name).containsExactly(serving);
        }
    }

    /**
     * A service without HTTP has no ready check, and systemd calls its unit active as soon as the program runs. One
     * whose program exits at once (here status 0: it thinks it is done) is not taken for started; one that keeps
     * exiting later, while systemd starts it again, is reported failed, not active.
     */
    @Test
    void aWorkerThatDoesNotStayUpIsReportedNotTakenForStarted() throws Exception {
        try (Harness h = new Harness(dir)) {
            StorePath done = h.buildExiting(0, 0);
            StorePath later = h.buildExiting(2, 2);
            StorePath doneLater = h.buildExiting(0, 2);
            List.of(done, later, doneLater).forEach(h::publish);
            Deployer deployer = h.deployer();

            h.write("a worker that exits 0 at once", m -> m.withService(exiting("jobs", done)));
            Deployer.Report report = deployer.reconcile();
            assertThat(report.errors()).singleElement().asString().contains(h.prefix + "jobs-g1-",
                    ": its program ended without an error (status 0 or a clean signal) and systemd no longer knows "
                            + "the unit; a service's program must keep running; see journalctl --user -u "
                            + h.prefix + "jobs-g1-");
            assertThat(report.services().getFirst().state()).isEqualTo("failed");
            assertThat(h.units()).isEmpty();
            assertThat(deployer.reconcile().steps()).as("not started again on every pass").isEmpty();

            h.write("a worker that exits 2 after 2 s", m -> m.withService(exiting("jobs", later)));
            Deployer.Report started = deployer.reconcile();
            assertThat(started.errors()).isEmpty();
            assertThat(started.services().getFirst().state()).isEqualTo("active");
            long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
            while (h.units().stream().noneMatch(Systemd.Unit::restarting) && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            Deployer.Report crashing = deployer.reconcile();
            assertThat(crashing.steps()).as("systemd starts it again, not a new unit").isEmpty();
            assertThat(crashing.ok()).isFalse();
            assertThat(crashing.services().getFirst()).satisfies(jobs -> {
                assertThat(jobs.state()).isEqualTo("failed");
                assertThat(jobs.lastError()).hasValueSatisfying(e -> assertThat(e).contains(h.prefix + "jobs-g2-",
                        "does not stay up: its program exited (status 2) and systemd starts it again "
                                + "(Restart=on-failure, after 5 s"));
            });

            // Ends without an error after 2 s: up for its first second, gone by the next pass (systemd forgets it).
            h.write("a worker that exits 0 after 2 s", m -> m.withService(exiting("jobs", doneLater)));
            Deployer.Report up = deployer.reconcile();
            assertThat(up.errors()).isEmpty();
            String unit = up.services().getFirst().unit().orElseThrow();
            deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
            while (h.units().stream().anyMatch(u -> u.name().equals(unit)) && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            Deployer.Report gone = deployer.reconcile();
            assertThat(gone.errors()).singleElement().asString().startsWith("jobs: unit " + unit + " is gone since "
                    + "the last pass: its program ended without an error").endsWith("; started again now");
            assertThat(gone.steps()).singleElement().asString().startsWith("activate jobs");
        }
    }

    private static Manifest.Service exiting(String name, StorePath path) {
        Manifest.Service w = Harness.worker(name, path);
        return new Manifest.Service(w.name(), w.artifact(), w.hosts(), new Manifest.Exec("serve", List.of(),
                Optional.empty(), Optional.empty()), w.env(), w.envFile(), w.credentials(), w.http(), w.ready(),
                w.systemd(), w.hardening(), w.revision());
    }

    /** The unit an error starts with. */
    private static String unitOf(String error) {
        return error.substring(0, error.indexOf(".service") + ".service".length());
    }

    /** Runs a pass that must fail for web; returns web's error, after checking it came well before 30 s. */
    private static String failingPass(Harness h, Deployer deployer, String what) {
        long start = System.nanoTime();
        Deployer.Report report = deployer.reconcile();
        long millis = Duration.ofNanos(System.nanoTime() - start).toMillis();
        String error = report.services().stream().filter(s -> s.name().equals("web")).findFirst().orElseThrow()
                .lastError().orElseThrow();
        System.out.printf("DeployerFaultsIT: a service that %s reported after %d ms (ready timeout 30 s): %s%n",
                what, millis, error);
        assertThat(report.ok()).isFalse();
        assertThat(millis).as("reported before the 30 s ready timeout ran out: %s", error).isLessThan(10_000);
        return error;
    }

    private static Manifest.Service readyWithin30s(Manifest.Service s) {
        return new Manifest.Service(s.name(), s.artifact(), s.hosts(), s.exec(), s.env(), s.envFile(),
                s.credentials(), s.http(), Optional.of(new Manifest.Ready(
                new Manifest.HttpCheck("/healthz", 30))), s.systemd(), s.hardening(), s.revision());
    }

    /**
     * A service whose envFile is not there is refused before anything is stopped or started, naming the file; once
     * the file exists the next pass deploys it. A unit started with a missing EnvironmentFile anyway (the file went
     * away after the check) fails at once with systemd's reason, instead of after the 10 s start wait.
     */
    @Test
    void aMissingEnvFileIsNamedAndSystemdsReasonIsGiven() throws Exception {
        try (Harness h = new Harness(dir)) {
            StorePath w1 = h.buildSleeper("1");
            h.publish(w1);
            h.write("worker", m -> m.withService(Harness.worker("jobs", w1)));
            Deployer deployer = h.deployer();
            assertThat(deployer.reconcile().errors()).isEmpty();
            String running = h.units().getFirst().name();

            Path envFile = dir.resolve("jobs.env");
            h.write("worker with an envFile that is not there",
                    m -> m.withService(Harness.withEnvFile(Harness.worker("jobs", w1), envFile)));
            Deployer.Report missing = deployer.reconcile();
            assertThat(missing.services().getFirst().lastError()).hasValue("envFile " + envFile
                    + " of service jobs does not exist; " + missing.errors().getFirst().replaceFirst(".*; ", ""));
            assertThat(missing.errors().getFirst()).endsWith("(in 30 s)");
            assertThat(h.units()).as("the running worker was not stopped for a version that cannot start")
                    .extracting(Systemd.Unit::name).containsExactly(running);

            Files.writeString(envFile, "MODE=batch\n");
            // Tried again once its back-off has passed (the loop's next pass, 30 s on).
            deployer.clock(java.time.Clock.offset(java.time.Clock.systemUTC(), Duration.ofSeconds(31)));
            assertThat(deployer.reconcile().errors()).isEmpty();
            assertThat(h.units()).singleElement().matches(u -> !u.name().equals(running) && u.active());

            String unit = h.prefix + "envfile-gone.service";
            Path gone = dir.resolve("gone.env");
            long start = System.nanoTime();
            assertThatThrownBy(() -> h.systemd.start(new Systemd.TransientUnit(unit, "envFile gone", "ferry.slice",
                    List.of("/bin/sleep", "600"), Map.of(), Optional.of(gone.toString()),
                    Map.of(), Optional.empty(), Optional.empty(), false, false, "no",
                    false, false, "on-failure", 5, List.of(), List.of())))
                    .hasMessageContaining(unit).hasMessageContaining("resources")
                    .hasMessageContaining("journalctl --user -u " + unit);
            long millis = Duration.ofNanos(System.nanoTime() - start).toMillis();
            System.out.printf("DeployerFaultsIT: a unit with a missing EnvironmentFile reported after %d ms%n", millis);
            assertThat(millis).as("before the 10 s start wait ran out").isLessThan(5_000);
            h.systemd.stop(unit);
        }
    }

    /** A deployer that applied generation 1: service web at v1 on {@value #DOMAIN}. */
    private static Deployer servingV1(Harness h) throws Exception {
        StorePath v1 = h.buildService("v1", true);
        h.publish(v1);
        assertThat(h.write("v1", m -> m.withService(Harness.service("web", v1, DOMAIN)))).isEqualTo(1);
        Deployer deployer = h.deployer();
        assertThat(deployer.reconcile().errors()).isEmpty();
        return deployer;
    }
}
