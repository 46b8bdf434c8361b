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

    private static DeployerSettings settings(String bus) {
        return new DeployerSettings("file:///x", "h", List.of(dev.ferry.nix.SecretKey.generate("k-1").publicKey()),
                List.of(), Path.of("/p"), 5, Path.of("/s"), bus, "ferry-", 20000, 20100,
                URI.create("http://127.0.0.1:2019"), ":80", Duration.ofSeconds(30), Duration.ofSeconds(30));
    }
}
