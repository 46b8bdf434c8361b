package dev.ferry.deployer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.cache.CacheUri;
import dev.ferry.cache.Manifest;
import dev.ferry.cache.ManifestStore;
import dev.ferry.cache.ManifestVerifier;
import dev.ferry.nix.SecretKey;
import dev.ferry.nix.StorePath;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A whole pass on in-memory seams: what is recorded when part of the host cannot be seen. */
class DeployerPassTest {
    private static final StorePath WORKER = StorePath.parse("/nix/store/" + "c".repeat(32) + "-worker-1");
    private static final StorePath WORKER_2 = StorePath.parse("/nix/store/" + "d".repeat(32) + "-worker-2");

    @TempDir
    Path dir;

    private final SecretKey key = SecretKey.generate("pass-test-1");

    @Test
    void whenCaddyCannotBeReadAfterThePassItsOutcomeIsStillRecorded() throws IOException {
        ManifestStore manifests = cacheWith(Harness.worker("worker", WORKER));
        Fakes.FakeSystemd systemd = new Fakes.FakeSystemd();
        Fakes.FakeCaddy caddy = new Fakes.FakeCaddy();
        caddy.failFrom = 2; // the observe before the pass answers, the one after it does not
        Deployer deployer = Deployer.create(settings(), manifests, systemd, caddy, new Fakes.FakeNix(),
                (port, path, timeout, running) -> true, Duration.ZERO, unit -> { });

        Deployer.Report report = deployer.reconcile();

        assertThat(systemd.started).singleElement().satisfies(u -> assertThat(u.name()).contains("worker"));
        assertThat(report.errors()).singleElement().asString()
                .startsWith("cannot observe this host after the pass: ").contains("refused the connection");
        DeployerState state = deployer.state();
        assertThat(state.lastApplied()).isEqualTo(1);
        assertThat(state.errors()).isEqualTo(report.errors());
        assertThat(state.services()).singleElement().satisfies(s -> assertThat(s.name()).isEqualTo("worker"));
    }

    @Test
    void whenCaddyCannotBeReadBeforeThePassNothingIsChangedAndThatIsRecorded() throws IOException {
        ManifestStore manifests = cacheWith(Harness.worker("worker", WORKER));
        Fakes.FakeSystemd systemd = new Fakes.FakeSystemd();
        Fakes.FakeCaddy caddy = new Fakes.FakeCaddy();
        caddy.failFrom = 1;
        Deployer deployer = Deployer.create(settings(), manifests, systemd, caddy, new Fakes.FakeNix(),
                (port, path, timeout, running) -> true, Duration.ZERO, unit -> { });

        Deployer.Report report = deployer.reconcile();

        assertThat(systemd.started).isEmpty();
        assertThat(report.errors()).singleElement().asString().startsWith("cannot observe this host: ");
        assertThat(deployer.state().lastApplied()).isZero();
        assertThat(deployer.state().errors()).isEqualTo(report.errors());
    }

    /**
     * The manifest location cannot be read (an agent's server is down): the pass says so in its errors and state, and
     * still converges the generation applied last, from its copy in the state directory: a route Caddy lost comes
     * back.
     */
    @Test
    void whenTheManifestsCannotBeReadThePassConvergesTheGenerationAppliedLastAndSaysWhy() throws IOException {
        Path cacheDir = Files.createDirectories(dir.resolve("cache"));
        boolean[] down = {false};
        dev.ferry.cache.Storage flaky = new dev.ferry.cache.ForwardingStorage(
                CacheUri.parse("file://" + cacheDir).open()) {
            @Override
            public java.util.Optional<dev.ferry.cache.StoredObject> open(String key) {
                if (down[0]) {
                    throw new DeployerException("reading " + key + " from http://127.0.0.1:1/cache failed: "
                            + "connection refused");
                }
                return super.open(key);
            }

            @Override
            public java.util.Optional<Long> size(String key) {
                if (down[0]) {
                    throw new DeployerException("connection refused");
                }
                return super.size(key);
            }
        };
        ManifestStore manifests = ManifestStore.create(flaky);
        add(manifests, Harness.service("web", WORKER, "web.test"));
        Fakes.FakeSystemd systemd = new Fakes.FakeSystemd();
        Fakes.FakeCaddy caddy = new Fakes.FakeCaddy();
        Deployer deployer = Deployer.create(settings(), manifests, systemd, caddy, new Fakes.FakeNix(),
                (port, path, timeout, running) -> true, Duration.ZERO, unit -> { });
        assertThat(deployer.reconcile().errors()).isEmpty();
        assertThat(caddy.routes).containsKey("ferry-pass-web");

        down[0] = true;
        caddy.routes.clear(); // Caddy restarted while the server is down
        Deployer.Report report = deployer.reconcile();

        assertThat(report.errors()).singleElement().asString().startsWith("cannot read the manifest generations in "
                + "file://" + cacheDir + ": ").endsWith("; converging generation 1, applied last, from its copy in "
                + dir.resolve("state").resolve("applied-manifest.json"));
        assertThat(caddy.routes).containsKey("ferry-pass-web");
        assertThat(report.generation()).isEqualTo(1);
        assertThat(deployer.state().errors()).isEqualTo(report.errors());

        // The copy is verified as a generation read from the location is: with its key no longer trusted, it is not
        // used, and the pass says so.
        DeployerSettings distrusting = new DeployerSettings(settings().manifestUri(), Harness.HOST,
                List.of(SecretKey.generate("pass-test-2").publicKey()), List.of(), dir.resolve("profiles"), 5,
                dir.resolve("state"), "unix:path=/nonexistent/bus", "ferry-pass-", 21000, 21999,
                URI.create("http://127.0.0.1:1"), "127.0.0.1:1", Duration.ofSeconds(30), Duration.ofSeconds(30));
        caddy.routes.clear();
        Deployer.Report refused = Deployer.create(distrusting, manifests, systemd, caddy, new Fakes.FakeNix(),
                (port, path, timeout, running) -> true, Duration.ZERO, unit -> { }).reconcile();
        assertThat(refused.errors()).singleElement().asString().endsWith("; no copy of generation 1 that verifies in "
                + dir.resolve("state").resolve("applied-manifest.json") + ": nothing is changed");
        assertThat(caddy.routes).isEmpty();
    }

    @Test
    void aDeployerNeverGoesBackToAnOlderGeneration() throws IOException {
        ManifestStore manifests = cacheWith(Harness.worker("worker", WORKER));
        add(manifests, Harness.worker("worker", WORKER_2));
        Fakes.FakeSystemd systemd = new Fakes.FakeSystemd();
        Deployer deployer = Deployer.create(settings(), manifests, systemd, new Fakes.FakeCaddy(),
                new Fakes.FakeNix(), (port, path, timeout, running) -> true, Duration.ZERO, unit -> { });
        assertThat(deployer.reconcile().generation()).isEqualTo(2);
        assertThat(systemd.started).singleElement().satisfies(u -> assertThat(u.description()).contains("worker-2"));

        // Whoever can delete objects in the bucket (or answer for it) hides generation 2: generation 1 is still
        // validly signed, but older than what this host runs.
        Path cache = dir.resolve("cache");
        Files.delete(cache.resolve(ManifestStore.jsonKey(2)));
        Files.delete(cache.resolve(ManifestStore.signatureKey(2)));
        Deployer.Report report = deployer.reconcile();

        assertThat(report.errors()).singleElement().asString().startsWith("the newest manifest generation in file://"
                + cache + " is 1, though generation 2 was applied here: refusing to go back; nothing is changed");
        assertThat(systemd.started).hasSize(1);
        assertThat(systemd.stopped).isEmpty();
        assertThat(deployer.state().lastApplied()).isEqualTo(2);
    }

    @Test
    void withNothingEverAppliedAndNoGenerationToApplyNothingIsChanged() throws IOException {
        ManifestStore manifests = cacheWith(Harness.worker("worker", WORKER));
        Fakes.FakeSystemd systemd = new Fakes.FakeSystemd();
        Fakes.FakeCaddy caddy = new Fakes.FakeCaddy();
        Fakes.FakeNix nix = new Fakes.FakeNix();
        Deployer.create(settings(), manifests, systemd, caddy, nix, (port, path, timeout, running) -> true,
                Duration.ZERO, unit -> { }).reconcile();
        assertThat(systemd.started).singleElement().satisfies(u -> assertThat(u.name()).contains("worker"));
        // state.json removed ("deleting it is safe"), and the agent restarted with a mistyped manifest-uri.
        Files.delete(dir.resolve("state").resolve("state.json"));
        Path typo = Files.createDirectories(dir.resolve("cachez"));
        Deployer mistyped = Deployer.create(settings(), ManifestStore.create(CacheUri.parse("file://" + typo).open()),
                systemd, caddy, nix, (port, path, timeout, running) -> true, Duration.ZERO, unit -> { });

        Deployer.Report report = mistyped.reconcile();

        assertThat(report.errors()).singleElement().asString().startsWith("no binary cache at file://" + typo
                + " (it has no nix-cache-info): check ferry.deployer.manifest-uri").endsWith("nothing is changed");
        assertThat(report.ok()).isFalse();
        assertThat(systemd.stopped).isEmpty();

        // A real cache that has no generation yet (a new server): nothing to do, and nothing wrong.
        Files.writeString(typo.resolve("nix-cache-info"), "StoreDir: /nix/store\n");
        Deployer.Report empty = mistyped.reconcile();
        assertThat(empty.errors()).isEmpty();
        assertThat(empty.generation()).isZero();
        assertThat(empty.steps()).isEmpty();
        assertThat(systemd.stopped).isEmpty();
    }

    /**
     * A service whose program exits while systemd would restart it is tried again, in a new unit, after 30 s, 1 min,
     * 2 min...: not on every pass. A pass asked for (--once), or a generation that changes the service, tries it at
     * once; one that gets it running clears the count.
     */
    @Test
    void aServiceThatKeepsExitingIsTriedAgainAfterABackOffNotOnEveryPass() throws IOException {
        ManifestStore manifests = cacheWith(Harness.service("web", WORKER, "web.test"));
        Fakes.FakeSystemd systemd = new Fakes.FakeSystemd();
        systemd.exitStatus = java.util.OptionalInt.of(2); // exits at once; systemd would restart it
        boolean[] ready = {false};
        Deployer deployer = Deployer.create(settings(), manifests, systemd, new Fakes.FakeCaddy(), new Fakes.FakeNix(),
                (port, path, timeout, running) -> ready[0] && running.getAsBoolean(), Duration.ZERO, unit -> { });
        java.time.Instant t0 = java.time.Instant.parse("2026-11-24T04:00:00Z");
        deployer.clock(java.time.Clock.fixed(t0, java.time.ZoneOffset.UTC));

        Deployer.Report first = deployer.reconcile();
        assertThat(first.errors()).singleElement().asString().startsWith("web: ferry-pass-web-g1-")
                .endsWith("; tried again at 04:00:30 UTC (in 30 s)");
        assertThat(systemd.started).hasSize(1);

        deployer.clock(java.time.Clock.fixed(t0.plusSeconds(29), java.time.ZoneOffset.UTC));
        Deployer.Report waiting = deployer.reconcile();
        assertThat(waiting.steps()).isEmpty();
        assertThat(waiting.errors()).isEmpty();
        assertThat(waiting.services()).singleElement().satisfies(s -> {
            assertThat(s.failed()).isTrue();
            assertThat(s.lastError()).hasValueSatisfying(e -> assertThat(e).endsWith("(in 30 s)"));
        });
        assertThat(waiting.ok()).isFalse();
        assertThat(systemd.started).hasSize(1);

        deployer.clock(java.time.Clock.fixed(t0.plusSeconds(30), java.time.ZoneOffset.UTC));
        assertThat(deployer.reconcile().errors()).singleElement().asString()
                .endsWith("; tried again at 04:01:30 UTC (in 1 min; failure 2 in a row)");
        assertThat(systemd.started).hasSize(2);
        assertThat(deployer.reconcile().steps()).isEmpty();
        // Asked for: tried now, and the count goes on.
        assertThat(deployer.reconcileNow().errors()).singleElement().asString()
                .endsWith("(in 2 min; failure 3 in a row)");
        assertThat(systemd.started).hasSize(3);
        for (int failure = 4; failure <= 6; failure++) {
            assertThat(deployer.reconcileNow().errors()).singleElement().asString()
                    .endsWith("(in " + (failure == 4 ? 4 : 5) + " min; failure " + failure + " in a row)");
        }
        assertThat(deployer.state().backoff()).containsOnlyKeys("web");

        // A generation that changes the service: tried at once, counted afresh.
        add(manifests, Harness.service("web", WORKER_2, "web.test"));
        assertThat(deployer.reconcile().errors()).singleElement().asString().contains("web-g2-")
                .endsWith("(in 30 s)");

        // It gets ready: nothing is held any more.
        systemd.exitStatus = java.util.OptionalInt.empty();
        ready[0] = true;
        deployer.clock(java.time.Clock.fixed(t0.plusSeconds(60), java.time.ZoneOffset.UTC));
        Deployer.Report serving = deployer.reconcile();
        assertThat(serving.errors()).isEmpty();
        assertThat(serving.services()).singleElement().extracting(ServiceStatus::state).isEqualTo("serving");
        assertThat(deployer.state().backoff()).as("until it has run for a whole interval").containsOnlyKeys("web");
        assertThat(deployer.reconcile().steps()).isEmpty();
        assertThat(deployer.state().backoff()).isEmpty();
    }

    /**
     * A unit that ran at the end of a pass and is gone at the next (its program ended; systemd forgets a transient
     * unit whose program ends without an error) is a failure: started again at once the first time, then after a
     * back-off, and said. One that systemd started again between two passes (NRestarts went up) is reported failed,
     * though the pass finds it running.
     */
    @Test
    void aUnitThatEndsBetweenPassesIsAFailureNotStartedAgainOnEveryPass() throws IOException {
        ManifestStore manifests = cacheWith(Harness.worker("jobs", WORKER));
        Fakes.FakeSystemd systemd = new Fakes.FakeSystemd();
        Deployer deployer = Deployer.create(settings(), manifests, systemd, new Fakes.FakeCaddy(), new Fakes.FakeNix(),
                (port, path, timeout, running) -> true, Duration.ZERO, unit -> { });
        java.time.Instant t0 = java.time.Instant.parse("2026-11-24T04:00:00Z");
        deployer.clock(java.time.Clock.fixed(t0, java.time.ZoneOffset.UTC));
        assertThat(deployer.reconcile().errors()).isEmpty();
        String first = systemd.started.getLast().name();

        systemd.stopped.add(first); // its program ended between passes
        Deployer.Report again = deployer.reconcile();
        assertThat(again.errors()).singleElement().asString().isEqualTo("jobs: unit " + first + " is gone since the "
                + "last pass: its program ended without an error (status 0 or a clean signal) and systemd no longer "
                + "knows the unit; a service's program must keep running, or someone stopped it; see journalctl -u "
                + first + "; started again now");
        assertThat(systemd.started).hasSize(2);
        String second = systemd.started.getLast().name();

        systemd.stopped.add(second);
        Deployer.Report held = deployer.reconcile();
        assertThat(held.errors()).singleElement().asString().contains("unit " + second + " is gone since the last pass")
                .endsWith("; tried again at 04:01:00 UTC (in 1 min; failure 2 in a row)");
        assertThat(held.steps()).isEmpty();
        assertThat(held.services()).singleElement().satisfies(s -> assertThat(s.failed()).isTrue());
        assertThat(systemd.started).hasSize(2);

        // Due: started again; then systemd restarts it between two passes.
        deployer.clock(java.time.Clock.fixed(t0.plusSeconds(60), java.time.ZoneOffset.UTC));
        assertThat(deployer.reconcile().steps()).hasSize(1);
        String third = systemd.started.getLast().name();
        systemd.restarts.put(third, 2L);
        Deployer.Report restarted = deployer.reconcile();
        assertThat(restarted.services()).singleElement().satisfies(s -> {
            assertThat(s.failed()).isTrue();
            assertThat(s.lastError()).hasValueSatisfying(e -> assertThat(e).startsWith("unit " + third
                    + " does not stay up").contains("2 time(s) since the last pass"));
            assertThat(s.restarts()).hasValue(2);
        });
        assertThat(restarted.steps()).as("systemd restarts it, not a new unit").isEmpty();
        // It stays up for a whole interval: running again, the count cleared.
        Deployer.Report up = deployer.reconcile();
        assertThat(up.services()).singleElement().satisfies(s -> assertThat(s.state()).isEqualTo("active"));
        assertThat(deployer.state().backoff()).isEmpty();

        // A reboot ends every transient unit: not a failure, the unit is just started again.
        deployer.boot(java.util.Optional.of("another-boot"));
        systemd.stopped.add(third);
        Deployer.Report rebooted = deployer.reconcile();
        assertThat(rebooted.errors()).isEmpty();
        assertThat(rebooted.steps()).singleElement().asString().startsWith("activate jobs");
        assertThat(deployer.state().boot()).contains("another-boot");
    }

    /** A directory cache holding generation 1 with {@code service}, its narinfo standing in for its closure. */
    private ManifestStore cacheWith(Manifest.Service service) throws IOException {
        Path cache = Files.createDirectories(dir.resolve("cache"));
        ManifestStore manifests = ManifestStore.create(CacheUri.parse("file://" + cache).open());
        add(manifests, service);
        return manifests;
    }

    /** A new generation in which {@code service} is the only service, its narinfo standing in for its closure. */
    private void add(ManifestStore manifests, Manifest.Service service) throws IOException {
        Files.writeString(dir.resolve("cache").resolve(service.artifact().storePath().hashPart() + ".narinfo"),
                "StorePath: " + service.artifact().storePath().absolute() + "\n");
        manifests.update(key, ManifestVerifier.trusting(List.of(key.publicKey())), "test",
                m -> new Manifest(m.version(), m.generation(), m.createdAt(), m.reason(), List.of(service), List.of()));
    }

    private DeployerSettings settings() {
        return new DeployerSettings("file://" + dir.resolve("cache"), Harness.HOST, List.of(key.publicKey()),
                List.of(), dir.resolve("profiles"), 5, dir.resolve("state"), "unix:path=/nonexistent/bus",
                "ferry-pass-", 21000, 21999, URI.create("http://127.0.0.1:1"), "127.0.0.1:1", Duration.ofSeconds(30),
                Duration.ofSeconds(30));
    }
}
