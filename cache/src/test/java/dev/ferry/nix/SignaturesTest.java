package dev.ferry.nix;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Signing and verifying fingerprints: {@link SecretKey#sign}, {@link PublicKey#verify}, {@link Signatures}. */
class SignaturesTest {
    private static final HexFormat HEX = HexFormat.of();

    /** The {@code Sig:} lines Nix wrote are exactly what Ferry writes for the same key and fingerprint. */
    @ParameterizedTest
    @ValueSource(strings = {NarInfoTest.REF_DEMO, NarInfoTest.DEMO})
    void signsExactlyAsNixDoes(String narinfo) {
        NarInfo info = NarInfo.parse(narinfo);
        String nixSignature = info.signatures().first();
        assertThat(SecretKey.parse(KeysTest.NIX_SECRET).sign(info.fingerprint())).isEqualTo(nixSignature);
        assertThat(PublicKey.parse(KeysTest.NIX_PUBLIC).verify(info.fingerprint(), nixSignature)).isTrue();
    }

    /**
     * RFC 8032 section 7.1, TEST 1: secret seed, public key, empty message, signature; in Nix's key format the secret
     * key is the seed followed by the public key.
     */
    @Test
    void rfc8032TestVectorOne() {
        byte[] seed = HEX.parseHex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
        byte[] publicKey = HEX.parseHex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
        byte[] signature = HEX.parseHex("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555"
                + "fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");
        byte[] nixSecret = new byte[64];
        System.arraycopy(seed, 0, nixSecret, 0, 32);
        System.arraycopy(publicKey, 0, nixSecret, 32, 32);
        String base64 = Base64.getEncoder().encodeToString(nixSecret);

        SecretKey key = SecretKey.parse("rfc8032:" + base64);
        String expected = "rfc8032:" + Base64.getEncoder().encodeToString(signature);
        assertThat(key.publicKey().render()).isEqualTo("rfc8032:" + Base64.getEncoder().encodeToString(publicKey));
        assertThat(key.sign("")).isEqualTo(expected);
        assertThat(PublicKey.parse(key.publicKey().render()).verify("", expected)).isTrue();
    }

    @Test
    void signAndVerifyRoundTrip() {
        SecretKey key = SecretKey.generate("k-1");
        String signature = key.sign("1;/nix/store/x;sha256:y;1;");
        assertThat(signature).startsWith("k-1:");
        assertThat(Base64.getDecoder().decode(signature.substring(4))).hasSize(64);
        assertThat(key.publicKey().verify("1;/nix/store/x;sha256:y;1;", signature)).isTrue();
    }

    @Test
    void signaturesAreDeterministic() {
        SecretKey key = SecretKey.generate("k");
        assertThat(key.sign("message")).isEqualTo(key.sign("message"))
                .isEqualTo(SecretKey.parse(key.render()).sign("message"))
                .isNotEqualTo(key.sign("message2"));
    }

    @Test
    void verifyFailsForAModifiedMessage() {
        SecretKey key = SecretKey.parse(KeysTest.NIX_SECRET);
        String fingerprint = NarInfoTest.REF_DEMO_FINGERPRINT;
        String signature = key.sign(fingerprint);
        PublicKey publicKey = key.publicKey();
        assertThat(publicKey.verify(fingerprint.replace(";224;", ";225;"), signature)).isFalse();
        assertThat(publicKey.verify(fingerprint + ",", signature)).isFalse();
        assertThat(publicKey.verify("", signature)).isFalse();
    }

    @Test
    void verifyFailsForAnotherKeyName() {
        SecretKey key = SecretKey.generate("right");
        String signature = key.sign("m");
        PublicKey renamed = PublicKey.parse("wrong" + key.publicKey().render().substring("right".length()));
        assertThat(renamed.verify("m", signature)).isFalse();
        assertThat(key.publicKey().verify("m", "wrong" + signature.substring("right".length()))).isFalse();
        assertThat(key.publicKey().verify("m", signature.substring("right".length()))).isFalse();
    }

    @Test
    void verifyFailsForAnotherKeyOfTheSameName() {
        String signature = SecretKey.generate("k").sign("m");
        assertThat(SecretKey.generate("k").publicKey().verify("m", signature)).isFalse();
    }

    @Test
    void verifyFailsForATruncatedOrFlippedSignature() {
        SecretKey key = SecretKey.generate("k");
        String signature = key.sign("m");
        byte[] raw = Base64.getDecoder().decode(signature.substring(2));
        byte[] truncated = java.util.Arrays.copyOf(raw, 63);
        byte[] longer = java.util.Arrays.copyOf(raw, 65);
        byte[] flipped = raw.clone();
        flipped[10] ^= 0x20;
        PublicKey publicKey = key.publicKey();
        assertThat(publicKey.verify("m", "k:" + Base64.getEncoder().encodeToString(truncated))).isFalse();
        assertThat(publicKey.verify("m", "k:" + Base64.getEncoder().encodeToString(longer))).isFalse();
        assertThat(publicKey.verify("m", "k:" + Base64.getEncoder().encodeToString(flipped))).isFalse();
        assertThat(publicKey.verify("m", signature.substring(0, signature.length() - 4))).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"k:", "k:!!!!", "k:@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@",
            "k", "", ":", "k:AAAA====AAAA", "k:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==", "k:\u00e4\u00e4"})
    void verifyRejectsGarbageWithoutThrowing(String signature) {
        assertThat(SecretKey.generate("k").publicKey().verify("m", signature)).isFalse();
    }

    @Test
    void fingerprintSortsReferences() {
        StorePath path = StorePath.parse("/nix/store/7p8c26wlkq0i2sgfsz5ri4p1f070navm-ferry-ref-demo");
        StorePath demo = StorePath.parse("/nix/store/km2zczhyp58qhwncjwd3lp1h2mpiddvy-demo");
        Hash narHash = Hash.parse("sha256:0gaddv25riysf5ygw8443xwri6r4mx6ifcbb20na9ldgj4fb38fl");
        assertThat(Signatures.fingerprint(path, narHash, 224, List.of(demo, path)))
                .isEqualTo(NarInfoTest.REF_DEMO_FINGERPRINT)
                .isEqualTo(Signatures.fingerprint(path, narHash, 224, List.of(path, demo)));
    }

    @Test
    void fingerprintWritesTheNarHashAsNix32WhateverItsInputForm() {
        StorePath path = StorePath.parse("/nix/store/km2zczhyp58qhwncjwd3lp1h2mpiddvy-demo");
        Hash sri = Hash.parse("sha256-+nQoioLTjuVHaQqUZQVwpn8xzSv+ESp+kI6N28EaAlQ="); // nix hash path demo
        assertThat(Signatures.fingerprint(path, sri, 888, List.of()))
                .isEqualTo("1;/nix/store/km2zczhyp58qhwncjwd3lp1h2mpiddvy-demo;"
                        + "sha256:0m023b0xp3cfj1z2l4gy5g6k2zx6f02nb50ad53yb3nkha52hx7s;888;");
    }

    @Test
    void fingerprintNeedsSha256() {
        StorePath path = StorePath.parse("/nix/store/km2zczhyp58qhwncjwd3lp1h2mpiddvy-demo");
        assertThatThrownBy(() -> Signatures.fingerprint(path, new Hash(HashAlgorithm.SHA1, new byte[20]), 1, List.of()))
                .isInstanceOf(NixFormatException.class)
                .hasMessageContaining("needs a sha256 NAR hash, not sha1");
    }

    @Test
    void countValidCountsEachTrustedKeyOnce() {
        NarInfo info = NarInfo.parse(NarInfoTest.REF_DEMO);
        PublicKey nixKey = PublicKey.parse(KeysTest.NIX_PUBLIC);
        SecretKey other = SecretKey.generate("other-1");
        assertThat(Signatures.countValid(info, List.of(nixKey))).isEqualTo(1);
        assertThat(Signatures.countValid(info, List.of(other.publicKey()))).isZero();
        assertThat(Signatures.countValid(info, List.of())).isZero();

        NarInfo twice = info.withSignature(other.sign(info.fingerprint()));
        assertThat(Signatures.countValid(twice, List.of(nixKey, other.publicKey()))).isEqualTo(2);
        // a signature over another fingerprint does not count
        NarInfo forged = info.withSignature(other.sign(info.fingerprint() + "x"));
        assertThat(Signatures.countValid(forged, List.of(other.publicKey()))).isZero();
    }
}
