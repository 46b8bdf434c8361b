package dev.ferry.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.server.BuilderSettings;
import dev.ferry.server.ConfigCheck;
import dev.ferry.server.DeployerConfig;
import dev.ferry.server.ServerConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The configuration {@code ferry demo} writes is one that {@code ferry serve} accepts, with the values it means. */
class DemoCommandTest {
    @TempDir
    Path dir;

    @Test
    void theDemoConfigurationLoadsWithItsDeployerSettings() throws Exception {
        Path secret = Files.writeString(dir.resolve("webhook.secret"), "s3cret");
        String yaml = DemoCommand.configYaml(dir, "file://" + dir.resolve("hello.git"), secret,
                Optional.of(new DemoCommand.DeployTo("unix:path=/run/user/0/bus", "ferry-demo-abc123-", 41001, 41002)));
        Path file = Files.writeString(dir.resolve("ferry.yaml"), yaml);
        ServerConfig.Environment environment = new ServerConfig.Environment(Map.of("HOME", dir.toString()), true, dir);

        // As the demo loads it: ferry serve's code path, which refuses unknown keys in every section.
        ConfigCheck.Result checked = ConfigCheck.check(Optional.of(file), environment);
        assertThat(checked.problems()).isEmpty();
        ServerConfig server = checked.orThrow().server();
        BuilderSettings builder = checked.orThrow().builder();
        DeployerConfig deployer = checked.orThrow().deployer();

        assertThat(server.dataDir()).isEqualTo(dir.resolve("data"));
        assertThat(server.port()).isZero();
        assertThat(builder.projects()).singleElement().satisfies(p -> {
            assertThat(p.project().name()).isEqualTo("hello");
            assertThat(p.project().cloneUrl()).isEqualTo("file://" + dir.resolve("hello.git"));
        });
        assertThat(builder.webhookSecretFile()).contains(secret);
        assertThat(builder.publicRead()).isTrue();
        assertThat(deployer.enabled()).isTrue();
        assertThat(deployer.toString()).contains("ferry-demo-abc123-", "unix:path=/run/user/0/bus",
                "http://127.0.0.1:41001", "127.0.0.1:41002", dir.resolve("profiles").toString());
    }

    @Test
    void withoutDeployingTheDeployerStaysOff() throws Exception {
        Path secret = Files.writeString(dir.resolve("webhook.secret"), "s3cret");
        Path file = Files.writeString(dir.resolve("ferry.yaml"),
                DemoCommand.configYaml(dir, "file://" + dir.resolve("hello.git"), secret, Optional.empty()));
        ServerConfig.Environment environment = new ServerConfig.Environment(Map.of("HOME", dir.toString()), true, dir);
        assertThat(ConfigCheck.check(Optional.of(file), environment).orThrow().deployer().enabled()).isFalse();
    }
}
