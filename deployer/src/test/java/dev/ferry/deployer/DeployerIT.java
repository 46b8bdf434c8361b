package dev.ferry.deployer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.InstanceOfAssertFactories.LIST;

import dev.ferry.cache.Manifest;
import dev.ferry.nix.StorePath;
import dev.ferry.process.ProcessException;
import dev.ferry.testkit.RequiresPrograms;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The deployer against a real systemd user manager, real Caddy and real Nix (scripts/test-env start). */
@RequiresPrograms({"nix", "nix-build", "nix-store", "nix-env", "caddy", "systemctl"})
class DeployerIT {
    private static final String DOMAIN = "web.test";

    @TempDir
    Path dir;

    @Test
    void blueGreenSwitchesRollbackAndFailures() throws Exception {
        try (Harness h = new Harness(dir)) {
            StorePath v1 = h.buildService("v1", true);
            StorePath v2 = h.buildService("v2", true);
            StorePath v3 = h.buildService("v3", false);
            List.of(v1, v2, v3).forEach(h::publish);
            Deployer deployer = h.deployer();

            // Generation 1: v1 through Caddy, in ferry.slice, hardened, no secrets in its environment.
            Path envFile = java.nio.file.Files.writeString(dir.resolve("web.env"), "API_TOKEN=s3cret-value-42\n");
            h.write("v1", m -> m.withService(Harness.withEnvFile(Harness.service("web", v1, DOMAIN), envFile)));
            Deployer.Report r1 = deployer.reconcile();
            assertThat(r1.errors()).isEmpty();
            assertThat(h.get(DOMAIN, "/")).isEqualTo(new Harness.Response(200, "v1"));
            assertThat(h.get("other.test", "/")).isEqualTo(new Harness.Response(404, "no deployment here\n"));
            List<Systemd.Unit> units = h.units();
            assertThat(units).hasSize(1);
            String unit1 = units.getFirst().name();
            String svc = "org.freedesktop.systemd1.Service";
            assertThat(h.systemd.property(unit1, svc, "Slice")).contains("ferry.slice");
            assertThat(h.systemd.property(unit1, svc, "PrivateTmp")).contains(true);
            assertThat(h.systemd.property(unit1, svc, "ProtectSystem")).contains("strict");
            assertThat(h.systemd.property(unit1, svc, "NoNewPrivileges")).contains(true);
            assertThat(h.systemd.property(unit1, svc, "Environment").orElseThrow().toString())
                    .contains("GREETING=hello").contains("PORT=").doesNotContain("s3cret-value-42");
            assertThat(h.systemd.property(unit1, svc, "EnvironmentFiles").orElseThrow().toString())
                    .contains(envFile.toString()).doesNotContain("s3cret-value-42");
            // Under a user manager: no user switching and no ProtectHome (it fails with 226/NAMESPACE there).
            assertThat(h.systemd.property(unit1, svc, "ProtectHome")).contains("no");
            assertThat(h.systemd.property(unit1, svc, "DynamicUser")).contains(false);
            assertThat(r1.services().getFirst().state()).isEqualTo("serving");

            // The profile holds the path: it is a GC root, and Nix refuses to delete the path.
            assertThat(Harness.nix("nix-store", "--query", "--roots", v1.absolute()).stdout())
                    .contains(h.profilesDir.toString());
            assertThat(deleteFails(v1)).isTrue();

            // Generation 2: v2, while a client requests in a tight loop: zero failures; the old unit is gone.
            h.write("v2", m -> m.withService(Harness.service("web", v2, DOMAIN)));
            AtomicBoolean running = new AtomicBoolean(true);
            AtomicInteger ok = new AtomicInteger();
            AtomicInteger failures = new AtomicInteger();
            StringBuilder firstFailure = new StringBuilder();
            Runnable loop = () -> {
                while (running.get()) {
                    Harness.Response response = h.get(DOMAIN, "/");
                    if (response.status() == 200 && (response.body().equals("v1") || response.body().equals("v2"))) {
                        ok.incrementAndGet();
                    } else if (failures.getAndIncrement() == 0) {
                        synchronized (firstFailure) {
                            firstFailure.append(response);
                        }
                    }
                }
            };
            List<Thread> clients = java.util.stream.IntStream.range(0, 4)
                    .mapToObj(i -> Thread.ofPlatform().start(loop)).toList();
            Deployer.Report r2 = deployer.reconcile();
            Thread.sleep(300);
            running.set(false);
            for (Thread c : clients) {
                c.join();
            }
            assertThat(r2.errors()).isEmpty();
            assertThat(failures.get()).as("failed requests during the switch (first: %s)", firstFailure).isZero();
            assertThat(ok.get()).isGreaterThan(20);
            assertThat(h.get(DOMAIN, "/").body()).isEqualTo("v2");
            assertThat(h.units()).extracting(Systemd.Unit::name).hasSize(1).doesNotContain(unit1);
            System.out.printf("DeployerIT: %d requests during the v1->v2 switch, %d failed%n", ok.get(),
                    failures.get());

            // v1 no longer runs (no runtime root), but the profile's older generation keeps it: a real garbage
            // collection would keep it. --print-dead computes exactly that without deleting anything from the shared
            // store; an unrooted path built for the purpose shows the check can tell the difference.
            StorePath unrooted = h.buildService("unrooted-" + System.nanoTime(), true);
            String dead = Harness.nix("nix-store", "--gc", "--print-dead").stdout();
            assertThat(dead).contains(unrooted.absolute()).doesNotContain(v1.absolute());

            // Generation 3 never gets ready: v2 keeps serving, the failure is reported, no stray unit.
            h.write("v3", m -> m.withService(Harness.service("web", v3, DOMAIN)));
            Deployer.Report r3 = deployer.reconcile();
            assertThat(r3.ok()).isFalse();
            ServiceStatus web = r3.services().getFirst();
            assertThat(web.state()).isEqualTo("failed");
            assertThat(web.runningPath()).contains(v2.absolute());
            assertThat(web.lastError().orElseThrow()).contains("never got ready");
            assertThat(h.get(DOMAIN, "/").body()).isEqualTo("v2");
            assertThat(h.units()).hasSize(1);
            // v3 took its profile generation back: the profile points at v2, which serves, and no generation of it
            // holds v3 any more.
            NixStore profiles = NixStore.cli(Harness.RUNNER, h.profilesDir);
            assertThat(profiles.pinned("web")).contains(v2);
            assertThat(Harness.generations(h.profilesDir, "web")).contains(v2.absolute()).doesNotContain(v3.absolute());
            // Not retried on the next pass (it would only fail again), and still reported.
            Deployer.Report again = deployer.reconcile();
            assertThat(again.steps()).isEmpty();
            assertThat(again.services().getFirst().state()).isEqualTo("failed");
            assertThat(deployer.state().services().getFirst().lastError()).isPresent();

            // Rollback generation: v1 again.
            h.write("rollback", m -> m.withService(Harness.service("web", v1, DOMAIN)));
            Deployer.Report r4 = deployer.reconcile();
            assertThat(r4.errors()).isEmpty();
            assertThat(h.get(DOMAIN, "/").body()).isEqualTo("v1");
            assertThat(h.units()).hasSize(1);

            // An unchanged generation's pass does nothing.
            assertThat(deployer.reconcile().steps()).isEmpty();

            // Removed: route gone, unit stopped, profile removed.
            h.write("remove", m -> m.withoutService("web"));
            Deployer.Report r5 = deployer.reconcile();
            assertThat(r5.errors()).isEmpty();
            assertThat(h.units()).isEmpty();
            assertThat(h.get(DOMAIN, "/")).isEqualTo(new Harness.Response(404, "no deployment here\n"));
            assertThat(h.profilesDir.resolve("web")).doesNotExist();
        }
    }

    @Test
    void credentialsArriveThroughLoadCredentialAndTheirValuesAppearInNoProperty() throws Exception {
        try (Harness h = new Harness(dir)) {
            StorePath v1 = h.buildService("v1", true);
            h.publish(v1);
            String secret = "tok-" + java.util.UUID.randomUUID();
            Path token = dir.resolve("web-token");
            java.nio.file.Files.writeString(token, secret);
            java.nio.file.Files.setPosixFilePermissions(token, java.nio.file.attribute.PosixFilePermissions
                    .fromString("rw-------"));
            h.write("v1 with a credential", m -> m.withService(Harness.service("cred", v1, DOMAIN)
                    .withCredentials(java.util.Map.of("token", token.toString()))));
            Deployer.Report report = h.deployer().reconcile();
            assertThat(report.errors()).isEmpty();

            // The service read $CREDENTIALS_DIRECTORY/token: it answers the secret's hash, never the value.
            String expected = "sha256=" + java.util.HexFormat.of().formatHex(java.security.MessageDigest
                    .getInstance("SHA-256").digest(secret.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            Harness.Response answer = h.get(DOMAIN, "/credential");
            assertThat(answer).as("the credential reached the service (if the directory is empty, run "
                    + "scripts/test-env start: systemd's credential mount needs a shared mount under $XDG_RUNTIME_DIR"
                    + "/credentials)").isEqualTo(new Harness.Response(200, expected));

            // Over D-Bus the unit names the credential and its file; the value is in no property.
            String unit = h.units().getFirst().name();
            String svc = "org.freedesktop.systemd1.Service";
            assertThat(h.systemd.property(unit, svc, "LoadCredential").orElseThrow())
                    .isEqualTo(List.of(List.of("token", token.toString())));
            for (String property : List.of("Environment", "EnvironmentFiles", "ExecStart", "LoadCredential",
                    "SetCredential", "PassEnvironment")) {
                assertThat(String.valueOf(h.systemd.property(unit, svc, property).orElse("")))
                        .as(property).doesNotContain(secret);
            }
            assertThat(String.valueOf(h.systemd.property(unit, "org.freedesktop.systemd1.Unit", "Description")
                    .orElse(""))).doesNotContain(secret);
            assertThat(new String(h.manifests.newest().orElseThrow().manifest().toJson(),
                    java.nio.charset.StandardCharsets.US_ASCII)).contains(token.toString()).doesNotContain(secret);

            // A credential whose file is missing: the new unit fails before the program runs (243/CREDENTIALS), the
            // failure is reported, the running version keeps serving, no stray unit remains.
            h.write("missing credential", m -> m.withService(m.service("cred").orElseThrow()
                    .withCredentials(java.util.Map.of("token", dir.resolve("no-such-file").toString()))));
            Deployer.Report missing = h.deployer().reconcile();
            assertThat(missing.ok()).isFalse();
            assertThat(missing.services().getFirst().state()).isEqualTo("failed");
            // (with Restart=on-failure the unit waits to be restarted, not failed: the start wait ends there)
            assertThat(missing.services().getFirst().lastError().orElseThrow())
                    .contains("failed to start: exited (status 243/CREDENTIALS)", "journalctl --user -u ");
            assertThat(h.get(DOMAIN, "/credential")).isEqualTo(new Harness.Response(200, expected));
            assertThat(h.units()).extracting(Systemd.Unit::name).containsExactly(unit);
        }
    }

    /**
     * Activations of different services run together: each unit's start waits (in the test hook) until all three
     * have started, which never happens if they run one after another. Each gets its own port and its route.
     */
    @Test
    void activationsOfDifferentServicesRunTogether() throws Exception {
        try (Harness h = new Harness(dir)) {
            List<String> names = List.of("alpha", "beta", "gamma");
            java.util.Map<String, StorePath> paths = new java.util.LinkedHashMap<>();
            for (String name : names) {
                paths.put(name, h.buildService(name, true));
                h.publish(paths.get(name));
            }
            java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(names.size());
            AtomicInteger alone = new AtomicInteger();
            Deployer deployer = h.deployer(unit -> {
                started.countDown();
                try {
                    if (!started.await(20, java.util.concurrent.TimeUnit.SECONDS)) {
                        alone.incrementAndGet();
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            h.write("three services", m -> {
                Manifest next = m;
                for (String name : names) {
                    next = next.withService(Harness.service(name, paths.get(name), name + ".test"));
                }
                return next;
            });
            Deployer.Report report = deployer.reconcile();
            assertThat(report.errors()).isEmpty();
            assertThat(alone.get()).as("units that started while no other activation was in flight").isZero();
            for (String name : names) {
                assertThat(h.get(name + ".test", "/")).isEqualTo(new Harness.Response(200, name));
            }
            assertThat(h.units()).hasSize(3).extracting(u -> UnitLabel.parse(u.description()).orElseThrow().port())
                    .doesNotHaveDuplicates();
        }
    }

    /**
     * {@code systemd.after} and {@code systemd.requires} reach the unit as {@code After=} and {@code Requires=}, and
     * systemd acts on them: stopping a required unit stops the service, and a required unit that does not exist
     * fails the activation.
     */
    @Test
    void afterAndRequiresAreTheUnitsDependencies() throws Exception {
        try (Harness h = new Harness(dir)) {
            StorePath w1 = h.buildSleeper("1");
            StorePath w2 = h.buildSleeper("2");
            List.of(w1, w2).forEach(h::publish);
            // Outside the deployer's prefix, so it is not an orphan to tear down.
            String dependency = "ferry-dep-" + h.id + ".service";
            h.systemd.start(new Systemd.TransientUnit(dependency, "dependency", "ferry.slice",
                    List.of("/bin/sleep", "600"), java.util.Map.of(), Optional.empty(), java.util.Map.of(),
                    Optional.empty(), Optional.empty(), false, false, "no", false, false, "no", 1, List.of(), List.of()));
            try {
                h.write("ordered worker", m -> m.withService(needing(Harness.worker("jobs", w1), List.of(dependency))));
                Deployer.Report ok = h.deployer().reconcile();
                assertThat(ok.errors()).isEmpty();
                String unit = h.units().getFirst().name();
                String iface = "org.freedesktop.systemd1.Unit";
                assertThat(h.systemd.property(unit, iface, "After").orElseThrow()).asInstanceOf(LIST).contains(dependency);
                // (with systemd's own: the slice, basic.target)
                assertThat(h.systemd.property(unit, iface, "Requires").orElseThrow()).asInstanceOf(LIST)
                        .contains(dependency);

                // Stopping the unit it requires stops the service (systemd stops it first: it is ordered after).
                h.systemd.stop(dependency);
                assertThat(h.units()).noneMatch(Systemd.Unit::active);

                // A required unit that is not there: the start fails, the report names the unit, nothing stays.
                String missing = "ferry-missing-" + h.id + ".service";
                h.write("requires a unit that is not there", m -> m.withService(
                        needing(Harness.worker("jobs", w2), List.of(missing))));
                Deployer.Report failed = h.deployer().reconcile();
                assertThat(failed.ok()).isFalse();
                assertThat(failed.services().getFirst().lastError().orElseThrow()).contains(missing);
                assertThat(h.units()).isEmpty();
            } finally {
                h.systemd.stop(dependency);
            }
        }
    }

    /** The service ordered after and requiring {@code units}. */
    private static Manifest.Service needing(Manifest.Service s, List<String> units) {
        return new Manifest.Service(s.name(), s.artifact(), s.hosts(), s.exec(), s.env(), s.envFile(), s.credentials(),
                s.http(), s.ready(), new Manifest.Systemd(units, units, s.systemd().restart(),
                s.systemd().restartSec()), s.hardening(), s.revision());
    }

    @Test
    void workersSitesOrphansAndSubstitution() throws Exception {
        try (Harness h = new Harness(dir)) {
            StorePath w1 = h.buildSleeper("1");
            StorePath w2 = h.buildSleeper("2");
            StorePath site = h.buildSite("hello-site");
            List.of(w1, w2, site).forEach(h::publish);
            // An orphan: a unit with this deployer's prefix that no manifest asked for.
            h.systemd.start(new Systemd.TransientUnit(h.prefix + "stray.service", "stray", "ferry.slice",
                    List.of("/bin/sleep", "600"), java.util.Map.of(), Optional.empty(), java.util.Map.of(), Optional.empty(),
                    Optional.empty(), false, false, "no", false, false, "no", 1, List.of(), List.of()));
            Deployer deployer = h.deployer();

            h.write("worker and site", m -> m.withService(Harness.worker("jobs", w1)).withSite(new Manifest.Site(
                    "docs", Manifest.Artifact.nixClosure(site), List.of(Harness.HOST),
                    new Manifest.SiteHttp("docs.test", List.of(), "/"), true)));
            Deployer.Report r1 = deployer.reconcile();
            assertThat(r1.errors()).isEmpty();
            assertThat(h.units()).hasSize(1).allMatch(Systemd.Unit::active)
                    .noneMatch(u -> u.name().contains("stray"));
            assertThat(h.get("docs.test", "/").body()).contains("hello-site");
            assertThat(h.get("docs.test", "/app.js").body()).contains("asset");
            assertThat(h.get("docs.test", "/some/client/route").body()).contains("hello-site");

            // A worker is replaced and reaches active.
            h.write("worker 2", m -> m.withService(Harness.worker("jobs", w2)));
            assertThat(deployer.reconcile().errors()).isEmpty();
            assertThat(h.units()).hasSize(1).allMatch(Systemd.Unit::active)
                    .allMatch(u -> u.description().contains(w2.absolute()));

            // A command its closure lacks (the site has no bin/run) is named before w2's unit is stopped.
            h.write("no such command", m -> m.withService(Harness.worker("jobs", site)));
            assertThat(deployer.reconcile().errors()).containsExactly("jobs: exec.command 'run' of service jobs is "
                    + "not in its closure: " + site.absolute() + "/bin/run does not exist or is not executable");
            assertThat(h.units()).hasSize(1).allMatch(Systemd.Unit::active)
                    .allMatch(u -> u.description().contains(w2.absolute()));
            h.write("worker 2 again", m -> m.withService(Harness.worker("jobs", w2)));
            assertThat(deployer.reconcile().errors()).isEmpty();

            // A closure deleted locally before its generation arrives is fetched from the substituter.
            StorePath v5 = h.buildService("v5", true);
            h.publish(v5);
            Harness.nix("nix-store", "--delete", v5.absolute());
            assertThat(NixStore.cli(Harness.RUNNER, h.profilesDir).isValid(v5)).isFalse();
            h.write("v5", m -> m.withService(Harness.service("web", v5, "web.test")));
            assertThat(deployer.reconcile().errors()).isEmpty();
            assertThat(h.get("web.test", "/").body()).isEqualTo("v5");

            // Signed by a key the deployer does not trust: refused, nothing runs it.
            StorePath v6 = h.buildService("v6", true);
            h.publish(v6, dev.ferry.nix.SecretKey.generate("stranger-1"));
            Harness.nix("nix-store", "--delete", v6.absolute());
            h.write("v6", m -> m.withService(Harness.service("web", v6, "web.test")));
            Deployer.Report r6 = deployer.reconcile();
            assertThat(String.join("\n", r6.errors())).contains("cannot realise " + v6);
            assertThat(r6.services()).filteredOn(st -> st.name().equals("web")).singleElement()
                    .satisfies(st -> {
                        assertThat(st.state()).isEqualTo("failed");
                        assertThat(st.runningPath()).contains(v5.absolute());
                        assertThat(st.lastError().orElseThrow()).contains("lacks a valid signature");
                    });
            assertThat(NixStore.cli(Harness.RUNNER, h.profilesDir).isValid(v6)).isFalse();
            assertThat(h.get("web.test", "/").body()).isEqualTo("v5");
        }
    }

    private static boolean deleteFails(StorePath path) {
        try {
            Harness.nix("nix-store", "--delete", path.absolute());
            return false;
        } catch (ProcessException e) {
            return e.getMessage().contains("alive");
        }
    }
}
