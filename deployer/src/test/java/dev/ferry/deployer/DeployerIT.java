package dev.ferry.deployer;

import static org.assertj.core.api.Assertions.assertThat;

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
            assertThat(h.get("other.test", "/").body()).isEmpty();
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
            assertThat(h.get(DOMAIN, "/").body()).isEmpty();
            assertThat(h.profilesDir.resolve("web")).doesNotExist();
        }
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
                    List.of("/bin/sleep", "600"), java.util.Map.of(), Optional.empty(), Optional.empty(),
                    Optional.empty(), false, false, "no", false, false, "no", 1));
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
