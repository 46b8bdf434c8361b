package dev.ferry.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ferry.deployer.DeployerSettings;
import dev.ferry.nix.SecretKey;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DeployerConfigTest {
    @TempDir
    Path temp;

    private final String key1 = SecretKey.generate("a-1").publicKey().render();
    private final String key2 = SecretKey.generate("b-1").publicKey().render();

    private DeployerConfig load(Map<String, String> env, Optional<String> yaml) throws Exception {
        Optional<Path> file = yaml.isPresent() ? Optional.of(Files.writeString(temp.resolve("f.yaml"), yaml.get()))
                : Optional.empty();
        return DeployerConfig.load(file, new ServerConfig.Environment(env, false, temp), temp.resolve("data"));
    }

    @Test
    void defaults() throws Exception {
        DeployerConfig c = load(Map.of(), Optional.empty());
        assertThat(c.enabled()).isFalse();
        assertThat(c.manifestUri()).isEmpty();
        assertThat(c.profilesDir()).isEqualTo(Path.of("/nix/var/nix/profiles/ferry"));
        assertThat(c.stateDir()).isEqualTo(temp.resolve("data/deployer"));
        assertThat(c.portRange()).containsExactly(20000, 29999);
        assertThat(c.reconcileInterval()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.unitPrefix()).isEqualTo("ferry-");
        assertThat(c.systemdBus()).isEqualTo("system");
        // The co-resident defaults fill what is unset.
        DeployerSettings s = c.settings("file:///cache", List.of(SecretKey.generate("srv-1").publicKey()),
                List.of("http://127.0.0.1:8080/cache"));
        assertThat(s.trustedKeys()).hasSize(1);
        assertThat(s.substituters()).containsExactly("http://127.0.0.1:8080/cache");
    }

    @Test
    void fileAndEnvironmentWithListsEitherWay() throws Exception {
        DeployerConfig c = load(Map.of("FERRY_DEPLOYER_TRUSTED_KEYS", key1 + ", " + key2,
                "FERRY_DEPLOYER_RECONCILE_dash_INTERVAL", "500ms", "FERRY_DEPLOYER_UNIT_PREFIX", "ours-"),
                Optional.of("""
                ferry:
                  deployer:
                    enabled: true
                    manifest-uri: http://ferry.test/cache
                    substituters: [ "http://a/cache", "http://b/cache" ]
                    port-range: 21000-21010
                    poll-interval: 2m
                """));
        assertThat(c.enabled()).isTrue();
        assertThat(c.manifestUri()).contains("http://ferry.test/cache");
        assertThat(c.trustedKeys()).hasSize(2);
        assertThat(c.substituters()).containsExactly("http://a/cache", "http://b/cache");
        assertThat(c.portRange()).containsExactly(21000, 21010);
        assertThat(c.reconcileInterval()).isEqualTo(Duration.ofMillis(500));
        assertThat(c.pollInterval()).isEqualTo(Duration.ofMinutes(2));
        assertThat(c.unitPrefix()).isEqualTo("ours-");
    }

    @Test
    void badValuesNameTheirKey() {
        assertThatThrownBy(() -> load(Map.of("FERRY_DEPLOYER_TRUSTED_KEYS", "nonsense"), Optional.empty()))
                .hasMessageStartingWith("ferry.deployer.trusted-keys: 'nonsense'");
        assertThatThrownBy(() -> load(Map.of("FERRY_DEPLOYER_POLL_INTERVAL", "soon"), Optional.empty()))
                .hasMessageStartingWith("ferry.deployer.poll-interval:");
        assertThatThrownBy(() -> load(Map.of("FERRY_DEPLOYER_PORT_RANGE", "9-1"), Optional.empty()))
                .hasMessageStartingWith("ferry.deployer.port-range:");
        assertThatThrownBy(() -> load(Map.of(), Optional.of("ferry:\n  deployer:\n    caddy-lisen: ':80'\n")))
                .hasMessageStartingWith("ferry.deployer.caddy-lisen: unknown setting");
        assertThatThrownBy(() -> load(Map.of(), Optional.empty()).settings("file:///c", List.of(), List.of()))
                .hasMessageContaining("trusted-keys");
    }
}
