package dev.ferry.nix;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.testkit.RequiresPrograms;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Signing keys across Ferry and Nix: Nix's key files read by Ferry, and a key Ferry made used by Nix to sign a
 * binary cache that Nix then trusts under Ferry's public key, and under no other.
 */
@RequiresPrograms({"nix", "nix-store", "nix-build"})
class KeysIT {
    private static final NixCli NIX = new NixCli();

    @TempDir
    static Path dir;

    private static TestStorePaths paths;
    private static SecretKey ferryKey;
    private static Path cache;

    @BeforeAll
    static void nixSignsACacheWithAFerryKey() throws IOException {
        paths = TestStorePaths.create(NIX, Files.createDirectory(dir.resolve("paths")));
        ferryKey = SecretKey.generate("ferry-it-1");
        Path keyFile = writeSecretKey(ferryKey, dir.resolve("ferry.sec"));
        cache = dir.resolve("cache");
        NIX.copyTo(NixCli.fileCache(cache, "none", keyFile), List.of(paths.tree(), paths.c()));
    }

    @Test
    void readsTheKeyFilesNixGenerates() throws IOException {
        Path secretFile = dir.resolve("nix.sec");
        Path publicFile = dir.resolve("nix.pub");
        NIX.generateKey("nix-it-1", secretFile, publicFile);
        String secretText = Files.readString(secretFile);
        String publicText = Files.readString(publicFile);

        SecretKey secretKey = SecretKey.parse(secretText);
        PublicKey publicKey = PublicKey.parse(publicText);

        assertThat(secretKey.name()).isEqualTo("nix-it-1");
        assertThat(secretKey.publicKey()).isEqualTo(publicKey);
        assertThat(secretKey.render()).isEqualTo(secretText);
        assertThat(publicKey.render()).isEqualTo(publicText);
    }

    @Test
    void nixDerivesFerrysPublicKeyFromFerrysSecretKey() {
        assertThat(NIX.publicKeyOf(dir.resolve("ferry.sec"))).isEqualTo(ferryKey.publicKey().render());
    }

    @Test
    void nixSignedTheCacheSoThatFerrysPublicKeyVerifiesIt() {
        for (StorePath path : closure()) {
            NarInfo info = NarInfo.parse(NixCli.narInfoText(cache, path));
            assertThat(info.signatures()).as("signatures of " + path).hasSize(1);
            assertThat(Signatures.countValid(info, List.of(ferryKey.publicKey()))).as(path.toString()).isOne();
        }
    }

    @Test
    void nixStoreVerifyTrustsTheCacheUnderFerrysPublicKey() {
        NixCli.Outcome outcome = verify(ferryKey.publicKey());

        assertThat(outcome.exitCode()).as(outcome.stderr()).isZero();
    }

    /**
     * Only the input-addressed paths are checked: Nix trusts content-addressed ones (like the tree added with
     * nix-store --add) without any signature.
     */
    @Test
    void nixStoreVerifyDistrustsTheCacheUnderAnyOtherKey() {
        PublicKey sameNameOtherKey = SecretKey.generate(ferryKey.name()).publicKey();
        PublicKey otherName = SecretKey.generate("ferry-it-2").publicKey();

        for (PublicKey wrong : List.of(sameNameOtherKey, otherName)) {
            NixCli.Outcome outcome = verify(wrong);
            assertThat(outcome.exitCode()).as("exit code 2 means untrusted; " + outcome.stderr()).isEqualTo(2);
            assertThat(outcome.stderr()).contains("is untrusted");
        }
    }

    @Test
    void aFreshStoreSubstitutesFromTheCacheOnlyWhenItTrustsFerrysKey() {
        List<String> copy = List.of("nix", "copy", "--from", "file://" + cache, "--to",
                "local?root=" + dir.resolve("fresh-store"), paths.c().absolute(), "--option", "trusted-public-keys");
        PublicKey otherKey = SecretKey.generate(ferryKey.name()).publicKey();

        NixCli.Outcome distrusted = NIX.exitCode(with(copy, otherKey.render()));
        NixCli.Outcome trusted = NIX.exitCode(with(copy, ferryKey.publicKey().render()));

        assertThat(distrusted.exitCode()).isNotZero();
        assertThat(distrusted.stderr()).contains("lacks a valid signature");
        assertThat(trusted.exitCode()).as(trusted.stderr()).isZero();
        assertThat(dir.resolve("fresh-store" + paths.c().absolute())).exists();
    }

    private static NixCli.Outcome verify(PublicKey trusted) {
        List<String> argv = new ArrayList<>(List.of("nix", "store", "verify", "--store", "file://" + cache,
                "--sigs-needed", "1", "--trusted-public-keys", trusted.render(), "--recursive"));
        argv.add(paths.c().absolute());
        return NIX.exitCode(argv);
    }

    private static List<StorePath> closure() {
        return Stream.of(paths.tree(), paths.a(), paths.b(), paths.c()).toList();
    }

    private static List<String> with(List<String> argv, String last) {
        List<String> all = new ArrayList<>(argv);
        all.add(last);
        return all;
    }

    /** Writes a secret key file as {@code ferry keygen} would, readable by its owner only. */
    static Path writeSecretKey(SecretKey key, Path file) throws IOException {
        Files.writeString(file, key.render());
        Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        return file;
    }
}
