package dev.ferry.nix;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HexFormat;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class Nix32Test {
    private static final HexFormat HEX = HexFormat.of();

    /**
     * Vectors from Nix 2.8.0 on this machine: for files, {@code nix hash file --type T --base16|--base32 F}; for raw
     * hex, {@code nix hash to-base32 --type sha256 HEX}.
     */
    @ParameterizedTest
    @CsvSource({
            // sha256 of "hello"
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824, 094qif9n4cq4fdg459qzbhg1c6wywawwaaivx0k0x8xhbyx4vwic",
            // sha256 of the empty file
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855, 0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73",
            // sha1 of "hello" (20 bytes: the size of store path hash parts)
            "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d, 9m1skbnr5i43n3yypvda5s65vhfwdx5a",
            // md5 of "hello"
            "5d41402abc4b2a76b9719d911017c592, 4jqlbi14cxf6wpcajbphm40hax",
            // sha512 of "hello"
            "9b71d224bd62f3785d96d46ad3ea3d73319bfbc2890caadae2dff72519673ca72323c3d99ba5c11d7c7acc6e14b8c5da0c4663475c2e5c3adef46f73bcdec043, "
                    + "11w1pmwfdpz9pisbhp5qiv38q6dmidq2ipcqykw3p0sb6yrqcij79rwcwcjbxyzwbdal349qbxrncbk7pmd6snljrfpiwv2pljd4wcv",
            // single bits: the first byte is the least significant, the last character the least significant digit
            "0000000000000000000000000000000000000000000000000000000000000001, 0080000000000000000000000000000000000000000000000000",
            "8000000000000000000000000000000000000000000000000000000000000000, 0000000000000000000000000000000000000000000000000040",
            "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff, 1zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz",
    })
    void encodesAndDecodesNixVectors(String hex, String nix32) {
        byte[] bytes = HEX.parseHex(hex);
        assertThat(Nix32.encode(bytes)).isEqualTo(nix32);
        assertThat(Nix32.decode(nix32, bytes.length)).isEqualTo(bytes);
    }

    @Test
    void encodedLengthMatchesNix() {
        assertThat(Nix32.encodedLength(16)).isEqualTo(26);
        assertThat(Nix32.encodedLength(20)).isEqualTo(32);
        assertThat(Nix32.encodedLength(32)).isEqualTo(52);
        assertThat(Nix32.encodedLength(64)).isEqualTo(103);
    }

    @Property(tries = 500)
    void decodeInvertsEncode(@ForAll @Size(min = 1, max = 64) byte[] bytes) {
        String text = Nix32.encode(bytes);
        assertThat(text).hasSize(Nix32.encodedLength(bytes.length));
        assertThat(Nix32.isNix32(text)).isTrue();
        assertThat(Nix32.decode(text, bytes.length)).isEqualTo(bytes);
    }

    @ParameterizedTest
    @ValueSource(chars = {'e', 'o', 'u', 't', 'E', 'A', '-', ' ', '\u00e4', '\u0101'})
    void rejectsCharactersOutsideTheAlphabet(char bad) {
        String text = bad + "94qif9n4cq4fdg459qzbhg1c6wywawwaaivx0k0x8xhbyx4vwic";
        assertThat(Nix32.isNix32(text)).isFalse();
        assertThatThrownBy(() -> Nix32.decode(text, 32))
                .isInstanceOf(NixFormatException.class)
                .hasMessageContaining("invalid nix32 character")
                .hasMessageContaining(Nix32.printable(bad));
    }

    @Test
    void nonAsciiCharacterIsShownEscaped() {
        String text = "\u00e494qif9n4cq4fdg459qzbhg1c6wywawwaaivx0k0x8xhbyx4vwic";
        assertThatThrownBy(() -> Nix32.decode(text, 32)).hasMessageContaining("'\\u00e4'");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "094qif9n4cq4fdg459qzbhg1c6wywawwaaivx0k0x8xhbyx4vwi",
            "094qif9n4cq4fdg459qzbhg1c6wywawwaaivx0k0x8xhbyx4vwicc"})
    void rejectsWrongLength(String text) {
        assertThatThrownBy(() -> Nix32.decode(text, 32))
                .isInstanceOf(NixFormatException.class)
                .hasMessageContaining("nix32 string of " + text.length() + " characters, expected 52");
    }

    /** 52 digits hold 260 bits; Nix rejects a first digit above 1 ({@code nix hash to-base16} says "invalid base-32 hash"). */
    @ParameterizedTest
    @ValueSource(strings = {"2000000000000000000000000000000000000000000000000000",
            "z000000000000000000000000000000000000000000000000000",
            "2zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"})
    void rejectsBitsPastTheEnd(String text) {
        assertThatThrownBy(() -> Nix32.decode(text, 32))
                .isInstanceOf(NixFormatException.class)
                .hasMessageContaining("bits beyond 32 bytes");
    }

    @Test
    void acceptsTheLargestValue() {
        assertThat(Nix32.decode("1zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz", 32)).containsOnly((byte) 0xff);
    }

    @Test
    void isNix32OnlyAcceptsTheAlphabet() {
        assertThat(Nix32.isNix32(Nix32.ALPHABET)).isTrue();
        assertThat(Nix32.isNix32("")).isTrue();
        assertThat(Nix32.isNix32("abc/")).isFalse();
        assertThat(Nix32.isNix32("\u0080")).isFalse();
    }
}
