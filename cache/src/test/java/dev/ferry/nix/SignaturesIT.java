package dev.ferry.nix;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.nix.TestStorePaths.Kind;
import dev.ferry.testkit.RequiresPrograms;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Ferry's signatures equal Nix's: for the same key and path, {@link SecretKey#sign} over the fingerprint gives the
 * very {@code Sig:} that {@code nix copy --to file://...?secret-key=} wrote (ed25519 is deterministic), whether the
 * fingerprint comes from the narinfo or from Ferry's own hash of the store path.
 */
@RequiresPrograms({"nix", "nix-store", "nix-build"})
class SignaturesIT {
    private static final NixCli NIX = new NixCli();

    @TempDir
    static Path dir;

    private static TestStorePaths paths;
    private static SecretKey nixKey;
    private static Path cache;

    @BeforeAll
    static void nixSignsACacheWithItsOwnKey() throws IOException {
        paths = TestStorePaths.create(NIX, Files.createDirectory(dir.resolve("paths")));
        Path secretFile = dir.resolve("nix.sec");
        NIX.generateKey("nix-it-1", secretFile, dir.resolve("nix.pub"));
        nixKey = SecretKey.parse(Files.readString(secretFile));
        cache = dir.resolve("cache");
        NIX.copyTo(NixCli.fileCache(cache, "none", secretFile), paths.all());
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void signsTheNarInfoFingerprintAsNixDid(Kind kind) {
        NarInfo info = NarInfo.parse(NixCli.narInfoText(cache, kind.of(paths)));

        assertThat(info.signatures()).containsExactly(nixKey.sign(info.fingerprint()));
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void signsAFingerprintOfItsOwnMakingAsNixDid(Kind kind) {
        StorePath path = kind.of(paths);
        NarDigest digest = NarWriter.hash(Path.of(path.absolute()));
        List<StorePath> references = NIX.pathInfo(path).references();

        String fingerprint = Signatures.fingerprint(path, digest.narHash(), digest.narSize(), references);

        NarInfo info = NarInfo.parse(NixCli.narInfoText(cache, path));
        assertThat(fingerprint).isEqualTo(info.fingerprint());
        assertThat(info.signatures()).containsExactly(nixKey.sign(fingerprint));
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void verifiesNixsSignatureAndNothingElse(Kind kind) {
        NarInfo info = NarInfo.parse(NixCli.narInfoText(cache, kind.of(paths)));
        String signature = info.signatures().first();
        PublicKey nixPublicKey = nixKey.publicKey();
        String otherSize = Signatures.fingerprint(info.storePath(), info.narHash(), info.narSize() + 1,
                info.references());

        assertThat(nixPublicKey.verify(info.fingerprint(), signature)).isTrue();
        assertThat(nixPublicKey.verify(otherSize, signature)).isFalse();
        assertThat(SecretKey.generate(nixKey.name()).publicKey().verify(info.fingerprint(), signature)).isFalse();
        assertThat(Signatures.countValid(info,
                List.of(SecretKey.generate("other-1").publicKey(), nixPublicKey))).isOne();
    }
}
