package dev.ferry.deployer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.cache.Manifest;
import dev.ferry.nix.StorePath;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/** How a manifest service becomes a transient unit: credentials travel as names and paths, on either bus. */
class UnitSpecTest {
    private static final StorePath V1 = StorePath.parse("/nix/store/" + "a".repeat(32) + "-web-1");
    private static final Manifest.Service WEB = Harness.service("web", V1, "web.test")
            .withCredentials(Map.of("token", "/run/keys/web-token", "db", "/run/keys/db"));

    @Test
    void credentialsBecomeLoadCredentialEntriesAndNothingElse() {
        for (String bus : List.of("system", "user")) {
            Systemd.TransientUnit unit = UnitSpec.of(WEB, "ferry-web-g1-aaaa.service",
                    new UnitLabel("web", 1, Desired.spec(WEB), OptionalInt.of(20001), V1.absolute()),
                    Optional.of(20001), settings(bus));
            assertThat(unit.credentials()).as(bus).containsExactly(
                    Map.entry("db", "/run/keys/db"), Map.entry("token", "/run/keys/web-token"));
            assertThat(unit.environment()).as(bus).containsOnlyKeys("GREETING", "PORT");
            assertThat(unit.description()).as(bus).doesNotContain("/run/keys");
            assertThat(unit.environmentFile()).as(bus).isEmpty();
        }
    }

    @Test
    void aChangedCredentialPathChangesTheSpecSoTheUnitIsReplaced() {
        Manifest.Service moved = WEB.withCredentials(Map.of("token", "/run/keys/web-token-2", "db", "/run/keys/db"));
        assertThat(Desired.spec(moved)).isNotEqualTo(Desired.spec(WEB));
        assertThat(Desired.spec(WEB.withCredentials(Map.of("db", "/run/keys/db", "token", "/run/keys/web-token"))))
                .isEqualTo(Desired.spec(WEB));
    }

    /**
     * The spec is the unit's, not the placement's: another host or another revision of the same store path restarts
     * nothing, anything the unit is made from does. Pinned to a value, so that a change to how it is computed (which
     * restarts every service once on upgrade) is a decision, not an accident.
     */
    @Test
    void theSpecCoversWhatTheUnitIsMadeFromAndNothingElse() {
        Manifest.Service placed = new Manifest.Service(WEB.name(), WEB.artifact(), List.of("testhost", "other"),
                WEB.exec(), WEB.env(), WEB.envFile(), WEB.credentials(), WEB.http(), WEB.ready(), WEB.systemd(),
                WEB.hardening(), Optional.of("0123456789abcdef"));
        assertThat(Desired.spec(placed)).isEqualTo(Desired.spec(WEB));
        Manifest.Service louder = new Manifest.Service(WEB.name(), WEB.artifact(), WEB.hosts(), WEB.exec(),
                Map.of("GREETING", "hi"), WEB.envFile(), WEB.credentials(), WEB.http(), WEB.ready(), WEB.systemd(),
                WEB.hardening(), WEB.revision());
        assertThat(Desired.spec(louder)).isNotEqualTo(Desired.spec(WEB));
        assertThat(Desired.spec(WEB.withArtifact(Manifest.Artifact.nixClosure(
                StorePath.parse("/nix/store/" + "b".repeat(32) + "-web-2"))))).isNotEqualTo(Desired.spec(WEB));
        assertThat(Desired.spec(WEB)).isEqualTo("59c91bd4009c");
    }

    private static DeployerSettings settings(String bus) {
        return new DeployerSettings("file:///x", "h", List.of(dev.ferry.nix.SecretKey.generate("k-1").publicKey()),
                List.of(), Path.of("/p"), 5, Path.of("/s"), bus, "ferry-", 20000, 20100,
                URI.create("http://127.0.0.1:2019"), ":80", Duration.ofSeconds(30), Duration.ofSeconds(30));
    }
}
