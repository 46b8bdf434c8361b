package dev.ferry.nix;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class HashTest {
    /**
     * sha256 of "hello" in the four forms Nix 2.8.0 prints on this machine:
     * {@code echo -n hello > f; nix hash file --type sha256 --base32|--base16|--base64|--sri f}.
     */
    static final String NIX32 = "sha256:094qif9n4cq4fdg459qzbhg1c6wywawwaaivx0k0x8xhbyx4vwic";
    static final String BASE16 = "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
    static final String BASE64 = "sha256:LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=";
    static final String SRI = "sha256-LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=";
    static final byte[] HELLO = HexFormat.of().parseHex("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");

    @ParameterizedTest
    @ValueSource(strings = {NIX32, BASE16, BASE64, SRI})
    void allFourFormsParseToTheSameHash(String text) {
        Hash hash = Hash.parse(text);
        assertThat(hash.algorithm()).isEqualTo(HashAlgorithm.SHA256);
        assertThat(hash.bytes()).isEqualTo(HELLO);
        assertThat(hash).isEqualTo(Hash.sha256(HELLO)).hasSameHashCodeAs(Hash.sha256(HELLO));
    }

    @Test
    void printsEveryForm() {
        Hash hash = Hash.sha256(HELLO);
        assertThat(hash.toNix32()).isEqualTo(NIX32);
        assertThat(hash.toBase16()).isEqualTo(BASE16);
        assertThat(hash.toSri()).isEqualTo(SRI);
        assertThat(hash.nix32Digits()).isEqualTo(NIX32.substring("sha256:".length()));
        assertThat(hash).hasToString(NIX32);
    }

    @Test
    void parsesABodyOfAKnownAlgorithm() {
        assertThat(Hash.parse(HashAlgorithm.SHA256, "094qif9n4cq4fdg459qzbhg1c6wywawwaaivx0k0x8xhbyx4vwic").bytes())
                .isEqualTo(HELLO);
    }

    /** Other algorithms, values from {@code nix hash file --type md5|sha1|sha512 --base16|--base32 f} (f = "hello"). */
    @ParameterizedTest
    @CsvSource({
            "md5:4jqlbi14cxf6wpcajbphm40hax, md5:5d41402abc4b2a76b9719d911017c592",
            "sha1:9m1skbnr5i43n3yypvda5s65vhfwdx5a, sha1:aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d",
            "sha512:11w1pmwfdpz9pisbhp5qiv38q6dmidq2ipcqykw3p0sb6yrqcij79rwcwcjbxyzwbdal349qbxrncbk7pmd6snljrfpiwv2pljd4wcv, "
                    + "sha512:9b71d224bd62f3785d96d46ad3ea3d73319bfbc2890caadae2dff72519673ca72323c3d99ba5c11d7c7acc6e14b8c5da0c4663475c2e5c3adef46f73bcdec043",
    })
    void otherAlgorithms(String nix32, String base16) {
        Hash hash = Hash.parse(nix32);
        assertThat(Hash.parse(base16)).isEqualTo(hash);
        assertThat(hash.toNix32()).isEqualTo(nix32);
        assertThat(hash.toBase16()).isEqualTo(base16);
        assertThat(Hash.parse(hash.toSri())).isEqualTo(hash);
    }

    @Test
    void hashesOfDifferentBytesDiffer() {
        assertThat(Hash.sha256(new byte[32])).isNotEqualTo(Hash.sha256(HELLO));
    }

    @Test
    void bytesAreCopied() {
        byte[] bytes = HELLO.clone();
        Hash hash = Hash.sha256(bytes);
        bytes[0] = 0;
        hash.bytes()[1] = 0;
        assertThat(hash.bytes()).isEqualTo(HELLO);
    }

    @Test
    void rejectsUnknownAlgorithm() {
        assertThatThrownBy(() -> Hash.parse("sha3:094qif9n4cq4fdg459qzbhg1c6wywawwaaivx0k0x8xhbyx4vwic"))
                .isInstanceOf(NixFormatException.class)
                .hasMessageContaining("unknown hash algorithm 'sha3'");
        assertThatThrownBy(() -> Hash.parse("SHA256:094qif9n4cq4fdg459qzbhg1c6wywawwaaivx0k0x8xhbyx4vwic"))
                .isInstanceOf(NixFormatException.class)
                .hasMessageContaining("unknown hash algorithm 'SHA256'");
        assertThatThrownBy(() -> Hash.parse("blake3-LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ="))
                .isInstanceOf(NixFormatException.class)
                .hasMessageContaining("unknown hash algorithm 'blake3'");
    }

    @ParameterizedTest
    @ValueSource(strings = {"094qif9n4cq4fdg459qzbhg1c6wywawwaaivx0k0x8xhbyx4vwic", "", ":094qif9n4cq4fdg459qzbhg1c6wywawwaaivx0k0x8xhbyx4vwic",
            "-LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ="})
    void rejectsMissingAlgorithm(String text) {
        assertThatThrownBy(() -> Hash.parse(text))
                .isInstanceOf(NixFormatException.class)
                .hasMessageContaining("does not name its algorithm");
    }

    @ParameterizedTest
    @ValueSource(strings = {"sha256:", "sha256:094qif9n4cq4fdg459qzbhg1c6wywawwaaivx0k0x8xhbyx4vwi",
            "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b98", "sha256-",
            // nix32 and base16 lengths are not accepted as SRI
            "sha256-094qif9n4cq4fdg459qzbhg1c6wywawwaaivx0k0x8xhbyx4vwic",
            "md5:094qif9n4cq4fdg459qzbhg1c6wywawwaaivx0k0x8xhbyx4vwic"})
    void rejectsWrongLength(String text) {
        assertThatThrownBy(() -> Hash.parse(text))
                .isInstanceOf(NixFormatException.class)
                .hasMessageContaining("has the wrong length for");
    }

    @Test
    void rejectsBadCharacters() {
        assertThatThrownBy(() -> Hash.parse("sha256:e94qif9n4cq4fdg459qzbhg1c6wywawwaaivx0k0x8xhbyx4vwic"))
                .isInstanceOf(NixFormatException.class)
                .hasMessageContaining("invalid nix32 hash")
                .hasMessageContaining("invalid nix32 character 'e'");
        assertThatThrownBy(() -> Hash.parse("sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b982g"))
                .isInstanceOf(NixFormatException.class)
                .hasMessageContaining("invalid base16 hash");
        assertThatThrownBy(() -> Hash.parse("sha256-LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOL!CQ="))
                .isInstanceOf(NixFormatException.class)
                .hasMessageContaining("invalid base64 hash");
        assertThatThrownBy(() -> Hash.parse("sha256:LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOL_CQ="))
                .isInstanceOf(NixFormatException.class)
                .hasMessageContaining("invalid base64 hash");
    }

    @Test
    void rejectsBase64OfTheWrongSize() {
        // 44 characters without padding decode to 33 bytes
        assertThatThrownBy(() -> Hash.parse("sha256-LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQA"))
                .isInstanceOf(NixFormatException.class)
                .hasMessageContaining("invalid base64 hash")
                .hasMessageContaining("wrong length");
    }

    @Test
    void rejectsBitsPastTheEndOfNix32() {
        assertThatThrownBy(() -> Hash.parse("sha256:2000000000000000000000000000000000000000000000000000"))
                .isInstanceOf(NixFormatException.class)
                .hasMessageContaining("bits beyond 32 bytes");
    }

    @Test
    void rejectsDigestOfTheWrongSize() {
        assertThatThrownBy(() -> Hash.sha256(new byte[31]))
                .isInstanceOf(NixFormatException.class)
                .hasMessageContaining("sha256 hash of 31 bytes, expected 32");
    }

    @Test
    void messagesAbbreviateLongAndUnprintableInput() {
        String garbage = "sha256:" + "\u0001".repeat(500);
        assertThatThrownBy(() -> Hash.parse(garbage))
                .isInstanceOf(NixFormatException.class)
                .hasMessageContaining("\\u0001")
                .hasMessageContaining("...")
                .hasMessageNotContaining("\u0001")
                .satisfies(e -> assertThat(e.getMessage()).hasSizeLessThan(1000));
    }
}
