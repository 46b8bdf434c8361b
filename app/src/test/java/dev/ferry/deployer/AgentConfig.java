package dev.ferry.deployer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The YAML a {@code ferry deployer --config} agent reads, for the deployer of {@code h}'s settings. */
final class AgentConfig {
    private AgentConfig() {
    }

    /**
     * Writes {@code <dir>/deployer.yaml}; {@code extra} lines (indented for {@code ferry.deployer}) are appended.
     */
    static Path write(Harness h, Path dir, String... extra) throws IOException {
        DeployerSettings s = h.settings();
        StringBuilder yaml = new StringBuilder("""
                ferry:
                  data-dir: %s
                  deployer:
                    manifest-uri: file://%s
                    host: %s
                    trusted-keys: [ "%s" ]
                    substituters: [ "file://%s" ]
                    profiles-dir: %s
                    state-dir: %s
                    systemd-bus: "%s"
                    unit-prefix: %s
                    port-range: 21000-29999
                    caddy-admin-url: %s
                    caddy-listen: "%s"
                """.formatted(dir.resolve("data"), h.cacheDir, s.host(), h.key.publicKey().render(), h.cacheDir,
                s.profilesDir(), s.stateDir(), s.systemdBus(), s.unitPrefix(), s.caddyAdminUrl(), s.caddyListen()));
        for (String line : extra) {
            yaml.append("    ").append(line).append('\n');
        }
        return Files.writeString(dir.resolve("deployer.yaml"), yaml);
    }
}
