package dev.ferry.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ferry.cache.Compression;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServerConfigTest {
    @TempDir
    Path temp;

    private ServerConfig.Environment user(Map<String, String> variables) {
        return new ServerConfig.Environment(variables, false, temp);
    }

    private ServerConfig load(String yaml, Map<String, String> variables) throws IOException {
        Path file = temp.resolve("ferry.yaml");
        Files.writeString(file, yaml);
        return ServerConfig.load(Optional.of(file), user(variables));
    }

    @Test
    void defaultsWithoutFileOrVariables() {
        ServerConfig config = ServerConfig.load(Optional.empty(), user(Map.of("HOME", "/home/ann")));
        assertThat(config.dataDir()).isEqualTo(Path.of("/home/ann/.local/share/ferry"));
        assertThat(config.host()).isEqualTo("127.0.0.1");
        assertThat(config.port()).isEqualTo(8080);
        assertThat(config.cacheUri().toString()).isEqualTo("file:///home/ann/.local/share/ferry/cache");
        assertThat(config.secretKeyFile()).isEqualTo(Path.of("/home/ann/.local/share/ferry/keys/cache-secret.key"));
        assertThat(config.secretKeyFileIsDefault()).isTrue();
        assertThat(config.compression()).isEqualTo(Compression.ZSTD);
        assertThat(config.uploadTokenFile()).isEmpty();
        assertThat(config.maxUploadSize()).isEqualTo(32L << 30);
    }

    @Test
    void theDefaultDataDirFollowsXdgAndIsVarLibForRoot() {
        assertThat(ServerConfig.defaultDataDir(user(Map.of("HOME", "/home/ann", "XDG_DATA_HOME", "/data"))))
                .isEqualTo(Path.of("/data/ferry"));
        assertThat(ServerConfig.defaultDataDir(user(Map.of("HOME", "/home/ann", "XDG_DATA_HOME", "relative"))))
                .isEqualTo(Path.of("/home/ann/.local/share/ferry"));
        assertThat(ServerConfig.defaultDataDir(new ServerConfig.Environment(Map.of("HOME", "/root"), true, temp)))
                .isEqualTo(Path.of("/var/lib/ferry"));
        assertThatThrownBy(() -> ServerConfig.defaultDataDir(user(Map.of())))
                .hasMessageStartingWith("ferry.data-dir: has no default");
    }

    @Test
    void readsEveryKeyFromYaml() throws IOException {
        ServerConfig config = load("""
                ferry:
                  data-dir: /srv/ferry
                  server:
                    host: 0.0.0.0
                    port: 9090
                  cache:
                    uri: file:///srv/cache
                    secret-key-file: /run/keys/cache.sec
                    compression: xz
                    upload-token-file: /run/keys/token
                    max-upload-size: 512M
                """, Map.of());
        assertThat(config).isEqualTo(new ServerConfig(Path.of("/srv/ferry"), "0.0.0.0", 9090,
                dev.ferry.cache.CacheUri.parse("file:///srv/cache"), Path.of("/run/keys/cache.sec"), false,
                Compression.XZ, Optional.of(Path.of("/run/keys/token")), 512L << 20));
    }

    @Test
    void environmentVariablesOverrideTheFileInBothSpellings() throws IOException {
        ServerConfig config = load("""
                ferry:
                  data-dir: /srv/ferry
                  server:
                    port: 9090
                """, Map.of("FERRY_SERVER_PORT", "0",
                "FERRY_DATA_DIR", "/from/env",
                "FERRY_CACHE_UPLOAD_dash_TOKEN_dash_FILE", "/helidon/form",
                "FERRY_CACHE_MAX_UPLOAD_SIZE", "1G",
                "UNRELATED_SERVER_PORT", "1"));
        assertThat(config.port()).isZero();
        assertThat(config.dataDir()).isEqualTo(Path.of("/from/env"));
        assertThat(config.uploadTokenFile()).hasValue(Path.of("/helidon/form"));
        assertThat(config.maxUploadSize()).isEqualTo(1L << 30);
    }

    @Test
    void environmentNamesOfTheKeys() {
        assertThat(ServerConfig.environmentName(ServerConfig.PORT)).isEqualTo("FERRY_SERVER_PORT");
        assertThat(ServerConfig.environmentName(ServerConfig.UPLOAD_TOKEN_FILE)).isEqualTo("FERRY_CACHE_UPLOAD_TOKEN_FILE");
        assertThat(ServerConfig.environmentName(ServerConfig.DATA_DIR)).isEqualTo("FERRY_DATA_DIR");
    }

    @Test
    void theBuildPipelinesKeysHaveThePlainEnvironmentSpellingToo() {
        assertThat(ServerConfig.environmentSettings(Map.of("FERRY_BUILDER_NIX_TIMEOUT", "30m",
                "FERRY_DOMAINS_EPHEMERAL", "ferry.example.org")))
                .containsEntry("ferry.builder.nix-timeout", "30m")
                .containsEntry("ferry.domains.ephemeral", "ferry.example.org");
    }

    @Test
    void relativePathsResolveAgainstTheWorkingDirectory() {
        ServerConfig config = ServerConfig.load(Optional.empty(), user(Map.of("FERRY_DATA_DIR", "state",
                "FERRY_CACHE_SECRET_KEY_FILE", "keys/k.sec")));
        assertThat(config.dataDir()).isEqualTo(temp.resolve("state"));
        assertThat(config.secretKeyFile()).isEqualTo(temp.resolve("keys/k.sec"));
        assertThat(config.cacheUri().location()).isEqualTo(temp.resolve("state/cache").toString());
    }

    @Test
    void invalidValuesAreRefusedNamingTheKey() {
        Map<String, String> bad = Map.of(
                "FERRY_SERVER_PORT", "ferry.server.port: 'http' is not a port number",
                "FERRY_CACHE_COMPRESSION", "ferry.cache.compression: unknown compression 'lz4'",
                "FERRY_CACHE_URI", "ferry.cache.uri: cache URI 'ftp://x' has an unsupported scheme",
                "FERRY_CACHE_MAX_UPLOAD_SIZE", "ferry.cache.max-upload-size: '12X' is not a positive size",
                "FERRY_SERVER_HOST", "ferry.server.host: is empty");
        Map<String, String> values = Map.of("FERRY_SERVER_PORT", "http", "FERRY_CACHE_COMPRESSION", "lz4",
                "FERRY_CACHE_URI", "ftp://x", "FERRY_CACHE_MAX_UPLOAD_SIZE", "12X", "FERRY_SERVER_HOST", " ");
        bad.forEach((variable, message) -> assertThatThrownBy(() -> ServerConfig.load(Optional.empty(),
                user(Map.of("HOME", "/home/ann", variable, values.get(variable)))))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageStartingWith(message));
        assertThatThrownBy(() -> ServerConfig.load(Optional.empty(), user(Map.of("HOME", "/h", "FERRY_SERVER_PORT", "65536"))))
                .hasMessageStartingWith("ferry.server.port: '65536' is not a port number");
    }

    @Test
    void unknownKeysInTheServersSectionsAreRefused() {
        assertThatThrownBy(() -> load("""
                ferry:
                  server:
                    prot: 8080
                """, Map.of("HOME", "/h")))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageStartingWith("ferry.server.prot: unknown setting");
        assertThatThrownBy(() -> load("""
                ferry:
                  cache: file:///x
                """, Map.of("HOME", "/h")))
                .hasMessageStartingWith("ferry.cache: expected a section");
        assertThatThrownBy(() -> load("""
                ferry:
                  server:
                    port: [1, 2]
                """, Map.of("HOME", "/h")))
                .hasMessageStartingWith("ferry.server.port");
    }

    @Test
    void otherSectionsAreLeftToTheirOwners() throws IOException {
        ServerConfig config = load("""
                ferry:
                  builder:
                    workers: 2
                  server:
                    port: 1234
                """, Map.of("HOME", "/h"));
        assertThat(config.port()).isEqualTo(1234);
    }

    @Test
    void aMissingOrMalformedFileIsRefused() throws IOException {
        assertThatThrownBy(() -> ServerConfig.load(Optional.of(temp.resolve("nope.yaml")), user(Map.of("HOME", "/h"))))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("nope.yaml is not a readable file");
        assertThatThrownBy(() -> load("ferry: [unclosed\n", Map.of("HOME", "/h")))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("cannot be read");
    }

    @Test
    void sizes() {
        assertThat(ServerConfig.size("1024")).isEqualTo(1024);
        assertThat(ServerConfig.size("2K")).isEqualTo(2048);
        assertThat(ServerConfig.size("3MiB")).isEqualTo(3L << 20);
        assertThat(ServerConfig.size("32g")).isEqualTo(32L << 30);
        assertThat(ServerConfig.size("1T")).isEqualTo(1L << 40);
        for (String bad : new String[] {"0", "-1", "1.5G", "G", "1P", "99999999999999999999", "9000000000T"}) {
            assertThatThrownBy(() -> ServerConfig.size(bad)).as(bad).isInstanceOf(InvalidConfigException.class);
        }
    }
}
