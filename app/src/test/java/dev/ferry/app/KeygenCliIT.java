package dev.ferry.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.nix.NixCli;
import dev.ferry.nix.PublicKey;
import dev.ferry.nix.SecretKey;
import dev.ferry.nix.TestStorePaths;
import dev.ferry.testkit.RequiresPrograms;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code ferry keygen}: key files Nix signs and verifies with, written carefully. */
@RequiresPrograms({"nix", "nix-store", "nix-build"})
class KeygenCliIT {
    private static final NixCli NIX = new NixCli();

    @TempDir
    Path dir;

    @Test
    void writesAKeyPairWithTheSecretReadableByItsOwnerOnly() throws IOException {
        Path secretFile = dir.resolve("ferry.sec");
        Path publicFile = dir.resolve("ferry.pub");

        FerryCli.Result result = keygen("cache.example.org-1", secretFile, publicFile);

        assertThat(result.exitCode()).as(result.stderr()).isZero();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(secretFile))).isEqualTo("rw-------");
        SecretKey secretKey = SecretKey.parse(Files.readString(secretFile));
        PublicKey publicKey = PublicKey.parse(Files.readString(publicFile));
        assertThat(secretKey.name()).isEqualTo("cache.example.org-1");
        assertThat(secretKey.publicKey()).isEqualTo(publicKey);
        assertThat(NIX.publicKeyOf(secretFile)).as("nix key convert-secret-to-public").isEqualTo(publicKey.render());
        assertThat(result.stderr()).isEqualTo("public key: " + publicKey.render() + "\n");
        try (var files = Files.list(dir)) {
            assertThat(files.map(f -> f.getFileName().toString())).as("no temporary files left")
                    .containsExactlyInAnyOrder("ferry.sec", "ferry.pub");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"ferry.sec", "ferry.pub"})
    void refusesToOverwriteAnExistingKeyFile(String existing) throws IOException {
        Path secretFile = dir.resolve("ferry.sec");
        Path publicFile = dir.resolve("ferry.pub");
        Files.writeString(dir.resolve(existing), "precious");

        FerryCli.Result result = keygen("cache.example.org-1", secretFile, publicFile);

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.stderr()).isEqualTo("ferry: " + dir.resolve(existing)
                + ": refusing to overwrite an existing key file\n");
        assertThat(dir.resolve(existing)).hasContent("precious");
        try (var files = Files.list(dir)) {
            assertThat(files.map(f -> f.getFileName().toString())).as("nothing else written")
                    .containsExactly(existing);
        }
    }

    @Test
    void nixSignsWithTheKeyAndTrustsOnlyItsPublicKey() throws IOException {
        TestStorePaths paths = TestStorePaths.create(NIX, Files.createDirectory(dir.resolve("paths")));
        Path secretFile = dir.resolve("ferry.sec");
        Path publicFile = dir.resolve("ferry.pub");
        Path otherPublicFile = dir.resolve("other.pub");
        assertThat(keygen("ferry-it-1", secretFile, publicFile).exitCode()).isZero();
        assertThat(keygen("ferry-it-1", dir.resolve("other.sec"), otherPublicFile).exitCode()).isZero();
        Path cache = dir.resolve("cache");

        NIX.copyTo(NixCli.fileCache(cache, "none", secretFile), List.of(paths.tree(), paths.c()));

        NixCli.Outcome trusted = verify(cache, Files.readString(publicFile), paths);
        NixCli.Outcome distrusted = verify(cache, Files.readString(otherPublicFile), paths);
        assertThat(trusted.exitCode()).as(trusted.stderr()).isZero();
        assertThat(distrusted.exitCode()).as("2: untrusted; " + distrusted.stderr()).isEqualTo(2);
    }

    private static NixCli.Outcome verify(Path cache, String trustedKey, TestStorePaths paths) {
        // Only input-addressed paths: Nix trusts content-addressed ones without a signature.
        return NIX.exitCode(List.of("nix", "store", "verify", "--store", "file://" + cache, "--sigs-needed", "1",
                "--trusted-public-keys", trustedKey, "--recursive", paths.c().absolute()));
    }

    private static FerryCli.Result keygen(String name, Path secretFile, Path publicFile) {
        return FerryCli.run("keygen", name, "--secret-key", secretFile.toString(),
                "--public-key", publicFile.toString());
    }
}
