package dev.ferry.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ferry.nix.SecretKey;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SigningKeyFileTest {
    @TempDir
    Path temp;

    private ServerConfig config(Map<String, String> variables) {
        return ServerConfig.load(Optional.empty(), new ServerConfig.Environment(variables, false, temp));
    }

    @Test
    void theDefaultKeyIsGeneratedOnceWithMode0600AndItsPublicKeyBesideIt() throws IOException {
        ServerConfig config = config(Map.of("FERRY_DATA_DIR", temp.resolve("data").toString()));
        SecretKey key = SigningKeyFile.loadOrGenerate(config);

        Path secret = temp.resolve("data/keys/cache-secret.key");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(secret))).isEqualTo("rw-------");
        assertThat(key.name()).isEqualTo(SigningKeyFile.hostname() + "-1");
        assertThat(Files.readString(temp.resolve("data/keys/cache-public.key"))).isEqualTo(key.publicKey().render());
        assertThat(SigningKeyFile.loadOrGenerate(config).render()).isEqualTo(key.render());
    }

    @Test
    void aConfiguredKeyThatIsMissingIsAnError() {
        ServerConfig config = config(Map.of("FERRY_DATA_DIR", temp.toString(),
                "FERRY_CACHE_SECRET_KEY_FILE", temp.resolve("mine.sec").toString()));
        assertThatThrownBy(() -> SigningKeyFile.loadOrGenerate(config))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageStartingWith("ferry.cache.secret-key-file: " + temp.resolve("mine.sec") + " does not exist");
        assertThat(temp.resolve("mine.sec")).doesNotExist();
    }

    @Test
    void aConfiguredKeyIsRead() throws IOException {
        SecretKey key = SecretKey.generate("cache.example.org-1");
        Files.writeString(temp.resolve("mine.sec"), key.render());
        ServerConfig config = config(Map.of("FERRY_DATA_DIR", temp.toString(),
                "FERRY_CACHE_SECRET_KEY_FILE", temp.resolve("mine.sec").toString()));
        assertThat(SigningKeyFile.loadOrGenerate(config).publicKey()).isEqualTo(key.publicKey());
    }

    @Test
    void aCorruptKeyIsRefusedNamingTheKeyButNotItsContent() throws IOException {
        Files.writeString(temp.resolve("bad.sec"), "name:bm90IGEga2V5");
        ServerConfig config = config(Map.of("FERRY_DATA_DIR", temp.toString(),
                "FERRY_CACHE_SECRET_KEY_FILE", temp.resolve("bad.sec").toString()));
        assertThatThrownBy(() -> SigningKeyFile.loadOrGenerate(config))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageStartingWith("ferry.cache.secret-key-file: ")
                .hasMessageContaining("is not a Nix secret key")
                .hasMessageNotContaining("bm90IGEga2V5");
    }

    @Test
    void publicKeyFileNames() {
        assertThat(SigningKeyFile.publicKeyFile(Path.of("/k/cache-secret.key"))).isEqualTo(Path.of("/k/cache-public.key"));
        assertThat(SigningKeyFile.publicKeyFile(Path.of("/k/cache.sec"))).isEqualTo(Path.of("/k/cache.sec.pub"));
    }
}
