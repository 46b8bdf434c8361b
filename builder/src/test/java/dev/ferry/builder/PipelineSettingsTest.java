package dev.ferry.builder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ferry.cache.Compression;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PipelineSettingsTest {
    private static PipelineSettings from(Map<String, String> values) {
        return PipelineSettings.from(Path.of("/var/lib/ferry"), Compression.ZSTD,
                key -> Optional.ofNullable(values.get(key)));
    }

    @Test
    void defaults() {
        PipelineSettings settings = from(Map.of());
        assertThat(settings.ephemeralDomain()).isEqualTo("localhost");
        assertThat(settings.nixTimeout()).isEqualTo(Duration.ofHours(1));
        assertThat(settings.system()).isEqualTo(PipelineSettings.hostSystem()).endsWith("-linux");
        assertThat(settings.dataDir()).isEqualTo(Path.of("/var/lib/ferry"));
    }

    @Test
    void readsItsKeys() {
        PipelineSettings settings = from(Map.of("ferry.domains.ephemeral", "ferry.example.org",
                "ferry.builder.nix-timeout", "90m", "ferry.builder.system", "aarch64-linux"));
        assertThat(settings.ephemeralDomain()).isEqualTo("ferry.example.org");
        assertThat(settings.nixTimeout()).isEqualTo(Duration.ofMinutes(90));
        assertThat(settings.system()).isEqualTo("aarch64-linux");
        assertThat(from(Map.of("ferry.builder.nix-timeout", "PT2H")).nixTimeout()).isEqualTo(Duration.ofHours(2));
        assertThat(from(Map.of("ferry.builder.nix-timeout", "45s")).nixTimeout()).isEqualTo(Duration.ofSeconds(45));
    }

    @Test
    void errorsNameTheKey() {
        assertThatThrownBy(() -> from(Map.of("ferry.domains.ephemeral", "Ferry.Example.org")))
                .hasMessage("ferry.domains.ephemeral: 'Ferry.Example.org' is not a lower-case DNS name (such as "
                        + "ferry.example.org)");
        assertThatThrownBy(() -> from(Map.of("ferry.builder.nix-timeout", "0s")))
                .hasMessage("ferry.builder.nix-timeout: '0s' is not a positive duration (90s, 30m, 2h)");
        assertThatThrownBy(() -> from(Map.of("ferry.builder.nix-timeout", "soon")))
                .hasMessage("ferry.builder.nix-timeout: 'soon' is not a positive duration (90s, 30m, 2h)");
        assertThatThrownBy(() -> from(Map.of("ferry.builder.system", "linux")))
                .hasMessage("ferry.builder.system: 'linux' is not a Nix system (such as x86_64-linux)");
    }
}
