package dev.ferry.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ferry.builder.Project;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BuilderSettingsTest {
    @TempDir
    Path temp;

    private BuilderSettings load(String yaml, Map<String, String> variables) throws IOException {
        Path file = temp.resolve("ferry.yaml");
        Files.writeString(file, yaml);
        ServerConfig.Environment environment = new ServerConfig.Environment(variables, false, temp);
        return BuilderSettings.from(ServerConfig.read(Optional.of(file), environment), environment);
    }

    @Test
    void defaults() throws IOException {
        BuilderSettings settings = load("ferry: {}\n", Map.of());
        assertThat(settings.projects()).isEmpty();
        assertThat(settings.maxConcurrentBuilds()).isEqualTo(2);
        assertThat(settings.maxWebhookBodySize()).isEqualTo(1 << 20);
        assertThat(settings.publicRead()).isFalse();
        assertThat(settings.webhookSecretFile()).isEmpty();
        assertThat(settings.adminTokenFile()).isEmpty();
    }

    @Test
    void everyKeyFromTheFileAndTheEnvironment() throws IOException {
        BuilderSettings settings = load("""
                ferry:
                  projects:
                    - name: shop
                      clone-url: https://git.example.org/alice/shop.git
                      production-branch: trunk
                      webhook-secret-file: secrets/shop
                    - name: blog
                      clone-url: git@git.example.org:alice/blog.git
                  webhook:
                    secret-file: /run/secrets/webhook
                    max-body-size: 2M
                  admin-token-file: admin.token
                  api:
                    public-read: true
                """, Map.of("FERRY_BUILDER_MAX_CONCURRENT_BUILDS", "3"));
        assertThat(settings.projects()).extracting(BuilderSettings.ConfiguredProject::project).containsExactly(
                new Project("shop", "https://git.example.org/alice/shop.git", "trunk"),
                new Project("blog", "git@git.example.org:alice/blog.git", "main"));
        assertThat(settings.projects().getFirst().webhookSecretFile()).contains(temp.resolve("secrets/shop"));
        assertThat(settings.webhookSecretFile()).contains(Path.of("/run/secrets/webhook"));
        assertThat(settings.maxWebhookBodySize()).isEqualTo(2 << 20);
        assertThat(settings.adminTokenFile()).contains(temp.resolve("admin.token"));
        assertThat(settings.publicRead()).isTrue();
        assertThat(settings.maxConcurrentBuilds()).isEqualTo(3);
    }

    @Test
    void badValuesNameTheirKey() {
        assertThatThrownBy(() -> load("ferry:\n  builder:\n    max-concurrent-builds: 0\n", Map.of()))
                .hasMessageStartingWith("ferry.builder.max-concurrent-builds: '0'");
        assertThatThrownBy(() -> load("ferry:\n  api:\n    public-read: yes please\n", Map.of()))
                .hasMessageStartingWith("ferry.api.public-read:");
        assertThatThrownBy(() -> load("ferry:\n  webhook:\n    max-body-size: -1\n", Map.of()))
                .hasMessageStartingWith("ferry.webhook.max-body-size:");
        assertThatThrownBy(() -> load("ferry:\n  projects:\n    - name: Shop\n      clone-url: https://x/y.git\n",
                Map.of())).hasMessageStartingWith("ferry.projects[0].name: 'Shop'");
        assertThatThrownBy(() -> load("ferry:\n  projects:\n    - name: shop\n", Map.of()))
                .hasMessageStartingWith("ferry.projects[0].clone-url: is missing");
        assertThatThrownBy(() -> load("ferry:\n  projects:\n    - name: shop\n      clone-url: nope\n", Map.of()))
                .hasMessageStartingWith("ferry.projects[0].clone-url: 'nope' is not a clone URL");
        assertThatThrownBy(() -> load("ferry:\n  projects:\n    - name: shop\n      clone-url: https://x/y.git\n"
                + "      production-branch: 'a b'\n", Map.of()))
                .hasMessage("ferry.projects[0].production-branch: 'a b' is not a valid branch name (as git allows)");
        assertThatThrownBy(() -> load("""
                ferry:
                  projects:
                    - {name: shop, clone-url: "https://x/a.git"}
                    - {name: shop, clone-url: "https://x/b.git"}
                """, Map.of())).hasMessageStartingWith("ferry.projects[1].name: 'shop' is configured twice");
        assertThatThrownBy(() -> load("ferry:\n  projects:\n    - {name: a, clone-url: \"https://x/a.git\", "
                + "secret: x}\n", Map.of())).hasMessageStartingWith("ferry.projects[0].secret: unknown setting");
    }

    @Test
    void secretAndTokenFilesAreCheckedWhenRead() throws IOException {
        Path shortSecret = Files.writeString(temp.resolve("short"), "abc\n");
        BuilderSettings settings = new BuilderSettings(java.util.List.of(), Optional.of(shortSecret), 1024,
                Optional.of(temp.resolve("missing")), false, 2, false);
        assertThatThrownBy(() -> WebhookSecrets.load(settings))
                .hasMessageContaining("ferry.webhook.secret-file").hasMessageContaining("at least 16");
        assertThatThrownBy(() -> AdminAuth.from(settings))
                .hasMessageContaining("ferry.admin-token-file").hasMessageContaining("cannot be read");
    }
}
