package dev.ferry.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The assembled server as {@code ferry serve} starts it, from settings alone. */
class FerryServerTest {
    @TempDir
    Path temp;

    private ServerConfig config(Map<String, String> variables) {
        return ServerConfig.load(Optional.empty(), new ServerConfig.Environment(variables, false, temp));
    }

    @Test
    void startsOnTheDefaultsWithAGeneratedKey() throws IOException {
        ServerConfig config = config(Map.of("HOME", temp.toString(), "FERRY_SERVER_PORT", "0"));
        try (FerryServer server = FerryServer.start(config)) {
            Path secret = temp.resolve(".local/share/ferry/keys/cache-secret.key");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(secret))).isEqualTo("rw-------");
            assertThat(server.port()).isPositive();
            assertThat(server.cacheUrl()).isEqualTo("http://127.0.0.1:" + server.port() + "/cache");
            assertThat(server.startupLine())
                    .contains(server.cacheUrl(), "file://" + temp.resolve(".local/share/ferry/cache"), "uploads disabled")
                    .endsWith("trusted public key: " + server.publicKey().render());
            assertThat(temp.resolve(".local/share/ferry/cache/nix-cache-info")).exists();
            HttpResponse<byte[]> info = Http.get(URI.create(server.cacheUrl() + "/nix-cache-info"));
            assertThat(info.statusCode()).isEqualTo(200);
        }
    }

    @Test
    void theStartupLineNeverShowsTheTokenOrSecretKey() throws IOException {
        Path token = temp.resolve("token");
        Files.writeString(token, "secret-upload-token-do-not-print\n");
        ServerConfig config = config(Map.of("FERRY_DATA_DIR", temp.toString(), "FERRY_SERVER_PORT", "0",
                "FERRY_CACHE_UPLOAD_TOKEN_FILE", token.toString()));
        try (FerryServer server = FerryServer.start(config)) {
            String secretKey = Files.readString(temp.resolve("keys/cache-secret.key"));
            assertThat(server.startupLine()).contains("uploads enabled")
                    .doesNotContain("secret-upload-token-do-not-print", secretKey.substring(secretKey.indexOf(':') + 1));
        }
    }

    @Test
    void refusesToStartNamingTheKey() {
        ServerConfig missingToken = config(Map.of("FERRY_DATA_DIR", temp.toString(), "FERRY_SERVER_PORT", "0",
                "FERRY_CACHE_UPLOAD_TOKEN_FILE", temp.resolve("no-token").toString()));
        assertThatThrownBy(() -> FerryServer.start(missingToken))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageStartingWith("ferry.cache.upload-token-file: ");
    }

    @Test
    void directHandlerErrorsDoNotEchoTheRequest() {
        ServerConfig config = config(Map.of("FERRY_DATA_DIR", temp.toString(), "FERRY_SERVER_PORT", "0"));
        try (FerryServer server = FerryServer.start(config)) {
            Http.RawResponse response = Http.raw(server.port(), "GET /cache/<script>alert(1)</script> HTTP/1.1");
            assertThat(response.status()).isEqualTo(400);
            assertThat(response.text()).doesNotContain("script");
        }
    }
}
