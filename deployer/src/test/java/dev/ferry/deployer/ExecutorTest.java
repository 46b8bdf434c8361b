package dev.ferry.deployer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.cache.Manifest;
import dev.ferry.nix.SecretKey;
import dev.ferry.nix.StorePath;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The executor's bookkeeping across the activations of one pass, on in-memory seams. */
class ExecutorTest {
    private static final StorePath FIXED = StorePath.parse("/nix/store/" + "a".repeat(32) + "-fixed-1");
    private static final StorePath MOVING = StorePath.parse("/nix/store/" + "b".repeat(32) + "-moving-1");

    @TempDir
    Path dir;

    @Test
    void aFixedPortOfThePassIsNeverHandedToAnotherActivation() {
        int fixed = twoFreePorts();
        // The range holds the fixed port and one more. The fixed service's unit is not listed yet (as between its
        // old unit's stop and its new unit's start) and nothing listens on its port, so only the pass's own
        // bookkeeping keeps it from the blue-green service.
        Manifest.Service pinned = withPort(Harness.service("fixed", FIXED, "fixed.test"), fixed);
        Manifest.Service moving = Harness.service("moving", MOVING, "moving.test");
        for (int round = 0; round < 20; round++) {
            Fakes.FakeSystemd systemd = new Fakes.FakeSystemd();
            systemd.hidden = true;
            Executor executor = new Executor(settings(fixed, fixed + 1), systemd, new Fakes.FakeCaddy(),
                    new Fakes.FakeNix(), (port, path, timeout, running) -> true, Duration.ZERO, unit -> { });
            Map<String, String> errors = executor.execute(new Plan(List.of(
                    new Plan.Activate(moving, 1, Desired.spec(moving), List.of()),
                    new Plan.Activate(pinned, 1, Desired.spec(pinned), List.of()))), new HashMap<>());
            assertThat(errors).isEmpty();
            assertThat(portOf(systemd, "fixed")).isEqualTo(fixed);
            assertThat(portOf(systemd, "moving")).as("round %d", round).isEqualTo(fixed + 1);
        }
    }

    /**
     * A fixed internalPort that another service's unit holds (a port allocated to it from the range): the ready check
     * would pass against that service. Refused before anything is stopped.
     */
    @Test
    void aFixedPortAnotherServiceHoldsIsRefusedBeforeAnythingIsStopped() {
        int port = twoFreePorts();
        Fakes.FakeSystemd systemd = new Fakes.FakeSystemd();
        Executor executor = new Executor(settings(port, port), systemd, new Fakes.FakeCaddy(), new Fakes.FakeNix(),
                (p, path, timeout, running) -> true, Duration.ZERO, unit -> { });
        Manifest.Service web = Harness.service("web", MOVING, "web.test");
        assertThat(executor.execute(new Plan(List.of(new Plan.Activate(web, 1, Desired.spec(web), List.of()))),
                new HashMap<>())).isEmpty();
        String webUnit = systemd.started.getFirst().name();
        assertThat(portOf(systemd, "web")).isEqualTo(port);

        Manifest.Service api = withPort(Harness.service("api", FIXED, "api.test"), port);
        String previous = "ferry-exec-api-g1-aaaa.service";
        systemd.running.add(previous);
        Map<String, String> failed = new HashMap<>();
        assertThat(executor.execute(new Plan(List.of(new Plan.Activate(api, 2, Desired.spec(api),
                List.of(previous)))), failed)).containsExactly(Map.entry("api", "http.internalPort " + port
                + " of service api is held by service web (" + webUnit + "): choose another internalPort, outside "
                + "ferry.deployer.port-range"));
        assertThat(systemd.stopped).as("api's running version is not stopped for one that cannot start").isEmpty();
        assertThat(systemd.started).hasSize(1);
        assertThat(failed).as("tried again after a back-off: the holder may go in this pass").isEmpty();
    }

    /**
     * The profile keeps the generations before a new version until it runs, and a version that does not start takes
     * its generation back: the version that serves stays a GC root, however few generations are kept.
     */
    @Test
    void aVersionThatDoesNotStartTakesItsProfileGenerationBackAndOnlyOneThatRunsPrunes() {
        Manifest.Service v1 = Harness.service("web", FIXED, "web.test");
        Manifest.Service v2 = Harness.service("web", MOVING, "web.test");
        Fakes.FakeNix nix = new Fakes.FakeNix();
        Fakes.FakeSystemd systemd = new Fakes.FakeSystemd();
        boolean[] ready = {true};
        DeployerSettings keepOne = new DeployerSettings("file://" + dir.resolve("cache"), Harness.HOST,
                List.of(SecretKey.generate("executor-test-1").publicKey()), List.of(), dir.resolve("profiles"), 1,
                dir.resolve("state"), "unix:path=/nonexistent/bus", "ferry-exec-", 20000, 29999,
                URI.create("http://127.0.0.1:1"), "127.0.0.1:1", Duration.ofSeconds(30), Duration.ofSeconds(30));
        Executor executor = new Executor(keepOne, systemd, new Fakes.FakeCaddy(), nix,
                (port, path, timeout, running) -> ready[0], Duration.ZERO, unit -> { });
        assertThat(executor.execute(new Plan(List.of(new Plan.Activate(v1, 1, Desired.spec(v1), List.of()))),
                new HashMap<>())).isEmpty();
        String serving = systemd.started.getFirst().name();
        systemd.running.add(serving);

        ready[0] = false;
        assertThat(executor.execute(new Plan(List.of(new Plan.Activate(v2, 2, Desired.spec(v2),
                List.of(serving)))), new HashMap<>())).containsOnlyKeys("web");
        assertThat(nix.pins).containsEntry("web", FIXED);
        assertThat(nix.generations.get("web")).containsExactly(FIXED);

        ready[0] = true;
        assertThat(executor.execute(new Plan(List.of(new Plan.Activate(v2, 3, Desired.spec(v2),
                List.of(serving)))), new HashMap<>())).isEmpty();
        assertThat(nix.pins).containsEntry("web", MOVING);
        assertThat(nix.generations.get("web")).as("keep-generations 1, once v2 runs").containsExactly(MOVING);
    }

    /** A ready check whose every attempt fails: false at once if the program is gone, else (as if) at the timeout. */
    private static final ReadyCheck NEVER = (port, path, timeout, stillRunning) -> {
        stillRunning.getAsBoolean();
        return false;
    };

    @Test
    void aUnitThatNeverGetsReadyIsNamedWithItsGenerationAndThePreviousVersionOnlyWhenOneServes() {
        Manifest.Service web = Harness.service("web", MOVING, "web.test");
        String previous = "ferry-exec-web-g2-aaaa.service";

        // The first version of a service: there is no previous version to speak of.
        Fakes.FakeSystemd first = new Fakes.FakeSystemd();
        String error = activateFailing(first, settings(20000, 29999), web, List.of());
        String unit = first.started.getFirst().name();
        assertThat(error).isEqualTo(unit + " (generation 3) never got ready: GET http://127.0.0.1:" + portOf(first,
                "web") + "/healthz did not answer 2xx within 5 s; see journalctl -u " + unit);
        assertThat(first.stopped).containsExactly(unit);

        // Blue-green beside a running version: that one keeps serving, and the message says so.
        Fakes.FakeSystemd beside = new Fakes.FakeSystemd();
        beside.running.add(previous);
        assertThat(activateFailing(beside, settings(20000, 29999), web, List.of(previous)))
                .startsWith(beside.started.getFirst().name() + " (generation 3) never got ready: ")
                .endsWith("; the previous version keeps serving");
        assertThat(beside.stopped).doesNotContain(previous);

        // Beside a previous unit that is not running (it crashed, and systemd keeps it as failed): nothing serves.
        Fakes.FakeSystemd crashed = new Fakes.FakeSystemd();
        assertThat(activateFailing(crashed, settings(20000, 29999), web, List.of(previous)))
                .contains("never got ready").doesNotContain("previous");

        // A fixed port: the previous version was stopped first, so nothing of it serves.
        int port = twoFreePorts();
        Fakes.FakeSystemd replaced = new Fakes.FakeSystemd();
        assertThat(activateFailing(replaced, settings(20000, 29999), withPort(web, port), List.of(previous)))
                .contains("never got ready").doesNotContain("previous");
        assertThat(replaced.stopped).startsWith(previous);
    }

    @Test
    void aUnitWhoseProgramExitsIsReportedWithItsStatusAndItsJournal() {
        Manifest.Service web = Harness.service("web", MOVING, "web.test");
        for (String bus : List.of("user", "system")) {
            Fakes.FakeSystemd systemd = new Fakes.FakeSystemd();
            systemd.exitStatus = OptionalInt.of(2);
            Map<String, String> failed = new HashMap<>();
            String error = activateFailing(systemd, settings(bus, 20000, 29999), web, List.of(), failed);
            String unit = systemd.started.getFirst().name();
            assertThat(error).as(bus).isEqualTo(unit + " (generation 3) exited (status 2) before it answered GET "
                    + "http://127.0.0.1:" + portOf(systemd, "web") + "/healthz; see journalctl "
                    + (bus.equals("user") ? "--user " : "") + "-u " + unit);
            assertThat(systemd.stopped).containsExactly(unit);
            // systemd was about to restart it (Restart=on-failure): it may wait for something not up yet.
            assertThat(failed).isEmpty();
        }
    }

    @Test
    void aUnitThatSystemdCouldNotSetUpIsNotTriedAgain() {
        Manifest.Service web = Harness.service("web", MOVING, "web.test");
        Fakes.FakeSystemd systemd = new Fakes.FakeSystemd();
        systemd.exitStatus = OptionalInt.of(243); // systemd's CREDENTIALS: a credential file is missing
        Map<String, String> failed = new HashMap<>();
        String error = activateFailing(systemd, settings(20000, 29999), web, List.of(), failed);
        assertThat(error).contains("exited (status 243/CREDENTIALS)").doesNotContain("tried again");
        assertThat(failed).containsEntry("web", Desired.spec(web));
    }

    @Test
    void anEnvFileThatIsNotThereIsNamedBeforeAnythingIsStoppedOrStarted() throws IOException {
        Path envFile = dir.resolve("jobs.env");
        Manifest.Service jobs = Harness.withEnvFile(Harness.worker("jobs", FIXED), envFile);
        String previous = "ferry-exec-jobs-g1-aaaa.service";
        Fakes.FakeSystemd systemd = new Fakes.FakeSystemd();
        Map<String, String> failed = new HashMap<>();
        Executor executor = new Executor(settings(20000, 29999), systemd, new Fakes.FakeCaddy(), new Fakes.FakeNix(),
                NEVER, Duration.ZERO, unit -> { });
        Plan plan = new Plan(List.of(new Plan.Activate(jobs, 2, Desired.spec(jobs), List.of(previous))));

        assertThat(executor.execute(plan, failed))
                .containsExactly(Map.entry("jobs", "envFile " + envFile + " of service jobs does not exist"));
        assertThat(systemd.started).isEmpty();
        assertThat(systemd.stopped).as("the running version is not stopped for one that cannot start").isEmpty();
        assertThat(failed).as("tried again (after a back-off): creating the file fixes it").isEmpty();

        Files.createDirectory(envFile);
        assertThat(executor.execute(plan, failed)).containsExactly(Map.entry("jobs", "envFile " + envFile
                + " of service jobs is a directory"));
        Files.delete(envFile);

        Files.writeString(envFile, "MODE=batch\n");
        assertThat(executor.execute(plan, failed)).isEmpty();
        assertThat(systemd.started).singleElement().satisfies(u -> assertThat(u.environmentFile())
                .contains(envFile.toString()));
        assertThat(systemd.stopped).containsExactly(previous);
    }

    @Test
    void aCommandTheClosureLacksIsNamedBeforeAnythingIsStoppedAndNotTriedAgain() {
        Manifest.Service jobs = Harness.worker("jobs", FIXED);
        String program = jobs.exec().program(FIXED);
        String previous = "ferry-exec-jobs-g1-aaaa.service";
        Fakes.FakeSystemd systemd = new Fakes.FakeSystemd();
        Fakes.FakeNix nix = new Fakes.FakeNix();
        nix.missingPrograms.add(program);
        Map<String, String> failed = new HashMap<>();
        Executor executor = new Executor(settings(20000, 29999), systemd, new Fakes.FakeCaddy(), nix, NEVER,
                Duration.ZERO, unit -> { });
        Plan plan = new Plan(List.of(new Plan.Activate(jobs, 2, Desired.spec(jobs), List.of(previous))));

        assertThat(executor.execute(plan, failed)).containsExactly(Map.entry("jobs", "exec.command '"
                + jobs.exec().command() + "' of service jobs is not in its closure: " + program
                + " does not exist or is not executable"));
        assertThat(systemd.started).isEmpty();
        assertThat(systemd.stopped).as("the running version is not stopped for one that cannot start").isEmpty();
        assertThat(nix.pins).as("nor is its profile moved").isEmpty();
        assertThat(failed).as("the store path will not change: not tried again").containsEntry("jobs",
                Desired.spec(jobs));
    }

    private String activateFailing(Fakes.FakeSystemd systemd, DeployerSettings settings, Manifest.Service service,
                                   List<String> previous) {
        return activateFailing(systemd, settings, service, previous, new HashMap<>());
    }

    /** Activates generation 3 of {@code service} with a ready check that never answers; returns the error. */
    private String activateFailing(Fakes.FakeSystemd systemd, DeployerSettings settings, Manifest.Service service,
                                   List<String> previous, Map<String, String> failed) {
        Executor executor = new Executor(settings, systemd, new Fakes.FakeCaddy(), new Fakes.FakeNix(), NEVER,
                Duration.ZERO, unit -> { });
        Map<String, String> errors = executor.execute(new Plan(List.of(new Plan.Activate(service, 3,
                Desired.spec(service), previous))), failed);
        assertThat(errors).containsOnlyKeys(service.name());
        return errors.get(service.name());
    }

    private DeployerSettings settings(int first, int last) {
        return settings("unix:path=/nonexistent/bus", first, last);
    }

    private DeployerSettings settings(String bus, int first, int last) {
        return new DeployerSettings("file://" + dir.resolve("cache"), Harness.HOST,
                List.of(SecretKey.generate("executor-test-1").publicKey()), List.of(), dir.resolve("profiles"), 5,
                dir.resolve("state"), bus, "ferry-exec-", first, last,
                URI.create("http://127.0.0.1:1"), "127.0.0.1:1", Duration.ofSeconds(30), Duration.ofSeconds(30));
    }

    private static Manifest.Service withPort(Manifest.Service s, int port) {
        Manifest.Http http = s.http().orElseThrow();
        return new Manifest.Service(s.name(), s.artifact(), s.hosts(), s.exec(), s.env(), s.envFile(),
                s.credentials(), Optional.of(new Manifest.Http(http.domain(), http.aliases(), http.path(),
                OptionalInt.of(port))), s.ready(), s.systemd(), s.hardening(), s.revision());
    }

    private static int portOf(Fakes.FakeSystemd systemd, String service) {
        return systemd.started.stream().map(u -> UnitLabel.parse(u.description()).orElseThrow())
                .filter(l -> l.service().equals(service)).findFirst().orElseThrow().port().orElseThrow();
    }

    /** A port that is free on the loopback interface, and the one after it. */
    private static int twoFreePorts() {
        for (int attempt = 0; attempt < 50; attempt++) {
            try (ServerSocket first = new ServerSocket()) {
                first.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                int port = first.getLocalPort();
                if (port < 65535 && free(port + 1)) {
                    return port;
                }
            } catch (IOException e) {
                // try another
            }
        }
        throw new IllegalStateException("no two consecutive free ports on the loopback interface");
    }

    private static boolean free(int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
