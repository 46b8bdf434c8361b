package dev.ferry.nix;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Nix key files: {@link SecretKey}, {@link PublicKey} and their {@code name:base64} text. */
class KeysTest {
    /**
     * A throwaway key pair made for these tests by Nix 2.8.0 on this machine:
     * {@code nix-store --generate-binary-cache-key ferry-test-1 sk pk}. It signed the narinfo fixtures in
     * {@link NarInfoTest}.
     */
    static final String NIX_SECRET = "ferry-test-1:d02Ue8gSENVrLCRmCJTnW9xBu8J4WBzxa5SQf2iRM4LCMwpKloXp4O6nG/zQjK5rNayjf18bh1KGfhmh09UwQw==";
    static final String NIX_PUBLIC = "ferry-test-1:wjMKSpaF6eDupxv80IyuazWso39fG4dShn4ZodPVMEM=";

    @Test
    void parsesAKeyPairNixGenerated() {
        SecretKey secret = SecretKey.parse(NIX_SECRET);
        assertThat(secret.name()).isEqualTo("ferry-test-1");
        assertThat(secret.publicKey().render()).isEqualTo(NIX_PUBLIC);
        assertThat(secret.publicKey()).isEqualTo(PublicKey.parse(NIX_PUBLIC));
        assertThat(secret.render()).isEqualTo(NIX_SECRET);
    }

    @Test
    void keyFilesMayEndWithANewline() {
        assertThat(SecretKey.parse(NIX_SECRET + "\n").render()).isEqualTo(NIX_SECRET);
        assertThat(PublicKey.parse(NIX_PUBLIC + "\n").render()).isEqualTo(NIX_PUBLIC);
    }

    @Test
    void generatedKeyRoundTrips() {
        SecretKey key = SecretKey.generate("cache.example.org-1");
        String text = key.render();
        SecretKey parsed = SecretKey.parse(text);
        assertThat(parsed.name()).isEqualTo("cache.example.org-1");
        assertThat(parsed.render()).isEqualTo(text);
        assertThat(parsed.publicKey()).isEqualTo(key.publicKey());
        assertThat(PublicKey.parse(key.publicKey().render())).isEqualTo(key.publicKey());
        assertThat(parsed.sign("message")).isEqualTo(key.sign("message"));
    }

    @Test
    void secretKeyTextIsNameColonBase64OfSeedThenPublicKey() {
        SecretKey key = SecretKey.generate("k");
        String text = key.render();
        assertThat(text).startsWith("k:");
        byte[] bytes = Base64.getDecoder().decode(text.substring(2));
        assertThat(bytes).hasSize(64);
        byte[] publicBytes = Base64.getDecoder().decode(key.publicKey().render().substring(2));
        assertThat(publicBytes).hasSize(32);
        assertThat(Arrays.copyOfRange(bytes, 32, 64)).isEqualTo(publicBytes);
    }

    @Test
    void generatedKeysDiffer() {
        assertThat(SecretKey.generate("k").render()).isNotEqualTo(SecretKey.generate("k").render());
    }

    @Test
    void toStringDoesNotShowTheSecret() {
        SecretKey key = SecretKey.parse(NIX_SECRET);
        String secretBase64 = NIX_SECRET.substring("ferry-test-1:".length());
        byte[] seed = Arrays.copyOf(Base64.getDecoder().decode(secretBase64), 32);
        assertThat(key.toString())
                .contains("ferry-test-1")
                .doesNotContain(secretBase64)
                .doesNotContain(secretBase64.substring(0, 40))
                .doesNotContain(Base64.getEncoder().encodeToString(seed))
                .doesNotContain(java.util.HexFormat.of().formatHex(seed));
    }

    @Test
    void rejectsSecretKeyWhosePublicHalfDoesNotMatch() {
        byte[] bytes = Base64.getDecoder().decode(NIX_SECRET.substring("ferry-test-1:".length()));
        bytes[40] ^= 1;
        String text = "ferry-test-1:" + Base64.getEncoder().encodeToString(bytes);
        assertThatThrownBy(() -> SecretKey.parse(text))
                .isInstanceOf(NixFormatException.class)
                .hasMessage("secret key 'ferry-test-1' is corrupt: its public half does not match its seed");
    }

    @Test
    void rejectsSecretKeyWithoutColon() {
        assertThatThrownBy(() -> SecretKey.parse("d02Ue8gSENVrLCRmCJTnW9xBu8J4WBzxa5SQf2iRM4LCMwpKloXp4O6nG"))
                .isInstanceOf(NixFormatException.class)
                .hasMessage("secret key is not of the form name:base64");
        assertThatThrownBy(() -> PublicKey.parse(""))
                .isInstanceOf(NixFormatException.class)
                .hasMessage("public key is not of the form name:base64");
        assertThatThrownBy(() -> PublicKey.parse("ferry-test-1:"))
                .isInstanceOf(NixFormatException.class)
                .hasMessage("public key is not of the form name:base64");
    }

    @Test
    void rejectsEmptyName() {
        assertThatThrownBy(() -> SecretKey.parse(NIX_SECRET.substring("ferry-test-1".length())))
                .isInstanceOf(NixFormatException.class)
                .hasMessage("secret key has an empty name");
        assertThatThrownBy(() -> PublicKey.parse(NIX_PUBLIC.substring("ferry-test-1".length())))
                .isInstanceOf(NixFormatException.class)
                .hasMessage("public key has an empty name");
        assertThatThrownBy(() -> SecretKey.generate(""))
                .isInstanceOf(NixFormatException.class)
                .hasMessage("key has an empty name");
    }

    @ParameterizedTest
    @ValueSource(strings = {"my key", "tab\tkey", "caf\u00e9", "a\u0000b"})
    void rejectsNamesWithSpacesOrControlCharacters(String name) {
        assertThatThrownBy(() -> SecretKey.generate(name))
                .isInstanceOf(NixFormatException.class)
                .hasMessageContaining("has a space, colon or control character");
        assertThatThrownBy(() -> PublicKey.parse(name + NIX_PUBLIC.substring("ferry-test-1".length())))
                .isInstanceOf(NixFormatException.class)
                .hasMessageContaining("has a space, colon or control character");
    }

    @Test
    void rejectsBadBase64WithoutEchoingIt() {
        String text = "ferry-test-1:d02Ue8gSENVrLCRmCJTnW9xBu8J4WBzxa5SQf2iRM4LCMwpKloXp4O6nG/zQjK5rNayjf18bh1KGfhmh09Uw!==";
        assertThatThrownBy(() -> SecretKey.parse(text))
                .isInstanceOf(NixFormatException.class)
                .hasMessage("secret key 'ferry-test-1' is not valid base64");
        assertThatThrownBy(() -> PublicKey.parse("ferry-test-1:wjMKSpaF6eDupxv80Iyuaz Wso39fG4dShn4ZodPVMEM="))
                .isInstanceOf(NixFormatException.class)
                .hasMessage("public key 'ferry-test-1' is not valid base64");
    }

    @Test
    void rejectsWrongLength() {
        // the public key where a secret key belongs, and the other way round
        assertThatThrownBy(() -> SecretKey.parse(NIX_PUBLIC))
                .isInstanceOf(NixFormatException.class)
                .hasMessage("secret key 'ferry-test-1' has 32 bytes, expected 64");
        assertThatThrownBy(() -> PublicKey.parse(NIX_SECRET))
                .isInstanceOf(NixFormatException.class)
                .hasMessage("public key 'ferry-test-1' has 64 bytes, expected 32");
    }

    /** y = 2 is not on edwards25519: (y^2 - 1) / (d y^2 + 1) is not a square mod 2^255 - 19. */
    @Test
    void rejectsPublicKeyThatIsNotACurvePoint() {
        byte[] y2 = new byte[32];
        y2[0] = 2;
        assertThatThrownBy(() -> PublicKey.parse("k:" + Base64.getEncoder().encodeToString(y2)))
                .isInstanceOf(NixFormatException.class)
                .hasMessage("public key 'k' is not an ed25519 point");
    }

    @Test
    void publicKeysCompareByNameAndBytes() {
        PublicKey key = PublicKey.parse(NIX_PUBLIC);
        assertThat(key).isEqualTo(PublicKey.parse(NIX_PUBLIC)).hasSameHashCodeAs(PublicKey.parse(NIX_PUBLIC));
        assertThat(key).isNotEqualTo(PublicKey.parse("other" + NIX_PUBLIC.substring("ferry-test-1".length())));
        assertThat(key).hasToString(NIX_PUBLIC);
    }
}
