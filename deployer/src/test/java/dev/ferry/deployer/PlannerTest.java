package dev.ferry.deployer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ferry.cache.Manifest;
import dev.ferry.deployer.Actual.RunningUnit;
import dev.ferry.nix.StorePath;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class PlannerTest {
    private static final String PREFIX = "ferry-";
    private static final StorePath V1 = StorePath.parse("/nix/store/" + "a".repeat(32) + "-web-1");
    private static final StorePath V2 = StorePath.parse("/nix/store/" + "b".repeat(32) + "-web-2");
    private final Planner planner = new Planner(PREFIX);

    private static Manifest.Service web(StorePath path) {
        return Harness.service("web", path, "web.test");
    }

    private static RunningUnit unit(String name, Manifest.Service service, int port, String state) {
        return new RunningUnit(name, Optional.of(new UnitLabel(service.name(), 1, Desired.spec(service),
                OptionalInt.of(port), service.artifact().storePath().absolute())), state,
                state.equals("active") ? "running" : "dead");
    }

    private static Desired desired(Manifest.Service... services) {
        return new Desired(7, List.of(services), List.of());
    }

    @Test
    void aNewServiceIsActivated() {
        Plan plan = planner.plan(desired(web(V1)), new Actual(List.of(), List.of(), List.of()), Map.of());
        assertThat(plan.steps()).singleElement().isInstanceOfSatisfying(Plan.Activate.class, a -> {
            assertThat(a.generation()).isEqualTo(7);
            assertThat(a.previous()).isEmpty();
        });
    }

    @Test
    void aConvergedServiceNeedsNothing() {
        RunningUnit u = unit("ferry-web-g1-aaaa.service", web(V1), 20001, "active");
        Actual actual = new Actual(List.of(u), List.of(planner.proxy(web(V1), 20001)), List.of("web"));
        assertThat(planner.plan(desired(web(V1)), actual, Map.of()).isEmpty()).isTrue();
    }

    @Test
    void aLostRouteIsPutBackWithoutRestartingTheUnit() {
        RunningUnit u = unit("ferry-web-g1-aaaa.service", web(V1), 20001, "active");
        Plan plan = planner.plan(desired(web(V1)), new Actual(List.of(u), List.of(), List.of("web")), Map.of());
        assertThat(plan.steps()).containsExactly(new Plan.PutRoute(planner.proxy(web(V1), 20001)));
    }

    @Test
    void aNewVersionStartsBesideTheOldOne() {
        RunningUnit old = unit("ferry-web-g1-aaaa.service", web(V1), 20001, "active");
        Actual actual = new Actual(List.of(old), List.of(planner.proxy(web(V1), 20001)), List.of("web"));
        Plan plan = planner.plan(desired(web(V2)), actual, Map.of());
        assertThat(plan.steps()).singleElement().isInstanceOfSatisfying(Plan.Activate.class,
                a -> assertThat(a.previous()).containsExactly(old.name()));
    }

    @Test
    void anInterruptedSwitchIsFinishedNotRestarted() {
        RunningUnit old = unit("ferry-web-g1-aaaa.service", web(V1), 20001, "active");
        RunningUnit fresh = unit("ferry-web-g2-bbbb.service", web(V2), 20002, "active");
        Actual actual = new Actual(List.of(old, fresh), List.of(planner.proxy(web(V1), 20001)), List.of("web"));
        Plan plan = planner.plan(desired(web(V2)), actual, Map.of());
        assertThat(plan.steps()).containsExactly(new Plan.Switch(web(V2), fresh.name(), 1, 20002,
                List.of(old.name())));
    }

    @Test
    void aFailedSpecIsNotRetriedAndItsLeftoversAreCleared() {
        RunningUnit serving = unit("ferry-web-g1-aaaa.service", web(V1), 20001, "active");
        RunningUnit dead = unit("ferry-web-g2-bbbb.service", web(V2), 20002, "failed");
        Actual actual = new Actual(List.of(serving, dead), List.of(planner.proxy(web(V1), 20001)), List.of("web"));
        Plan plan = planner.plan(desired(web(V2)), actual, Map.of("web", Desired.spec(web(V2))));
        assertThat(plan.steps()).containsExactly(new Plan.StopUnit(dead.name(), "failed activation"));
    }

    @Test
    void whatNoManifestAsksForIsRemoved() {
        RunningUnit gone = unit("ferry-old-g1-aaaa.service", Harness.service("old", V1, "old.test"), 20001,
                "active");
        RunningUnit foreign = new RunningUnit("ferry-hand-made.service", Optional.empty(), "active", "running");
        Caddy.Route route = Caddy.Route.proxy("ferry-old", List.of("old.test"), "/", "127.0.0.1:20001");
        Plan plan = planner.plan(Desired.none(), new Actual(List.of(gone, foreign), List.of(route),
                List.of("old")), Map.of());
        assertThat(plan.steps()).extracting(Plan.Step::describe).containsExactly(
                "stop ferry-old-g1-aaaa.service (service old is not deployed here)",
                "stop ferry-hand-made.service (not started by this deployer)",
                "remove route ferry-old", "remove profile old");
    }

    @Test
    void aHundredUnchangedServicesPlanNothing() {
        List<Manifest.Service> services = new ArrayList<>();
        List<RunningUnit> units = new ArrayList<>();
        List<Caddy.Route> routes = new ArrayList<>();
        List<String> profiles = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            Manifest.Service s = Harness.service("s" + i, V1, "s" + i + ".test");
            services.add(s);
            units.add(unit(PREFIX + "s" + i + "-g1-aaaa.service", s, 20000 + i, "active"));
            routes.add(planner.proxy(s, 20000 + i));
            profiles.add("s" + i);
        }
        Plan plan = planner.plan(new Desired(3, services, List.of()), new Actual(units, routes, profiles), Map.of());
        assertThat(plan.isEmpty()).isTrue();
    }

    @Test
    void hostsFilterTheManifest() {
        Manifest.Service elsewhere = new Manifest.Service("other", Manifest.Artifact.nixClosure(V1),
                List.of("another-host"), web(V1).exec(), Map.of(), Optional.empty(), Optional.empty(),
                Optional.empty(), Manifest.Systemd.DEFAULT, Manifest.Hardening.DEFAULT, Optional.empty());
        Manifest m = Manifest.empty().withService(web(V1)).withService(elsewhere);
        assertThat(Desired.of(m, Harness.HOST).services()).extracting(Manifest.Service::name).containsExactly("web");
    }

    @Test
    void emptyHostsMeanEveryHost() {
        Manifest.Service everywhere = new Manifest.Service("all", Manifest.Artifact.nixClosure(V1), List.of(),
                web(V1).exec(), Map.of(), Optional.empty(), Optional.empty(), Optional.empty(),
                Manifest.Systemd.DEFAULT, Manifest.Hardening.DEFAULT, Optional.empty());
        Manifest m = Manifest.empty().withService(everywhere);
        assertThat(Desired.of(m, Harness.HOST).services()).extracting(Manifest.Service::name).containsExactly("all");
        assertThat(Desired.of(m, "another-host").services()).extracting(Manifest.Service::name).containsExactly("all");
    }

    @Test
    void unitLabelsRoundTripAndForeignDescriptionsAreNotOurs() {
        UnitLabel label = new UnitLabel("web", 3, "0123456789ab", OptionalInt.of(20001), V1.absolute());
        assertThat(UnitLabel.parse(label.render())).contains(label);
        assertThat(UnitLabel.parse("Some unit")).isEmpty();
        assertThat(UnitLabel.parse("ferry gen=x")).isEmpty();
    }

    @Test
    void caddyRoutesReadBackAsWritten() {
        Caddy.Route proxy = Caddy.Route.proxy("ferry-web", List.of("a.test", "b.test"), "/api/", "127.0.0.1:1");
        Caddy.Route spa = Caddy.Route.files("ferry-site-docs", List.of("d.test"), "/", V1.absolute(), true);
        for (Caddy.Route r : List.of(proxy, spa)) {
            assertThat(AdminApiCaddy.parse(r.id(), AdminApiCaddy.render(r))).isEqualTo(r);
        }
        assertThat(proxy.path()).isEqualTo("/api");
    }

    @Test
    void settingsRefuseWhatCannotWork() {
        assertThatThrownBy(() -> settings("Ferry_", "20000-29999")).hasMessageContaining("unit-prefix");
        assertThatThrownBy(() -> DeployerSettings.parsePortRange("30000-20000")).hasMessageContaining("port range");
        assertThatThrownBy(() -> DeployerSettings.parsePortRange("eighty")).hasMessageContaining("port-range");
        assertThat(settings("ferry-", "20000-29999").userManager()).isTrue();
    }

    private static DeployerSettings settings(String prefix, String range) {
        int[] ports = DeployerSettings.parsePortRange(range);
        return new DeployerSettings("file:///x", "h", List.of(dev.ferry.nix.SecretKey.generate("k-1").publicKey()),
                List.of(), Path.of("/p"), 5, Path.of("/s"), "user", prefix, ports[0], ports[1],
                URI.create("http://127.0.0.1:2019"), ":80", Duration.ofSeconds(30), Duration.ofSeconds(30));
    }

    @Test
    void stateIsWrittenAtomicallyAndReadBack(@org.junit.jupiter.api.io.TempDir Path dir) {
        ServiceStatus s = new ServiceStatus("web", "failed", 3, V2.absolute(), Optional.of(V1.absolute()),
                Optional.of("ferry-web-g1-aaaa.service"), Optional.of("active"), OptionalInt.of(20001),
                Optional.of("127.0.0.1:20001"), Optional.of("never got ready"), java.util.OptionalLong.of(3));
        DeployerState state = new DeployerState(3, Map.of("web", "0123"),
                Map.of("jobs", new Backoff("4567", 3, java.time.Instant.parse("2026-11-24T04:31:05Z"))), List.of(s),
                List.of("web: boom"), Optional.of("0b7c1e2a-boot"));
        state.write(dir);
        assertThat(DeployerState.read(dir)).isEqualTo(state);
        assertThat(dir.toFile().list()).containsExactly("state.json");
    }

    @Test
    void localPinsReplaceTheStorePathOnlyForTheGenerationTheyWereMadeAgainst(
            @org.junit.jupiter.api.io.TempDir Path dir) {
        LocalPins.pin(dir, "web", 7, V1);
        Manifest.Service withSecret = web(V2).withCredentials(Map.of("db", "/run/keys/db"));
        Desired seven = LocalPins.apply(desired(withSecret), LocalPins.read(dir));
        assertThat(seven.services().getFirst().artifact().storePath()).isEqualTo(V1);
        assertThat(seven.services().getFirst()).as("everything but the store path is the generation's")
                .isEqualTo(new Manifest.Service(withSecret.name(), Manifest.Artifact.nixClosure(V1), withSecret.hosts(),
                        withSecret.exec(), withSecret.env(), withSecret.envFile(), withSecret.credentials(),
                        withSecret.http(), withSecret.ready(), withSecret.systemd(), withSecret.hardening(),
                        withSecret.revision()));
        Desired eight = LocalPins.apply(new Desired(8, List.of(web(V2)), List.of()), LocalPins.read(dir));
        assertThat(eight.services().getFirst().artifact().storePath()).isEqualTo(V2);
    }
}
