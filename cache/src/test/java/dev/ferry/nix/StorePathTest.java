package dev.ferry.nix;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class StorePathTest {
    /** Paths Nix 2.8.0 made on this machine (see NarInfoTest for how). */
    static final String DEMO = "/nix/store/km2zczhyp58qhwncjwd3lp1h2mpiddvy-demo";
    static final String DRV = "/nix/store/9ggh3q64ciy282xqwdswg247qmbwp634-ferry-ref-demo.drv";
    static final String HASH = "km2zczhyp58qhwncjwd3lp1h2mpiddvy";

    @Test
    void parsesAStorePath() {
        StorePath path = StorePath.parse(DEMO);
        assertThat(path.hashPart()).isEqualTo(HASH);
        assertThat(path.name()).isEqualTo("demo");
        assertThat(path.baseName()).isEqualTo("km2zczhyp58qhwncjwd3lp1h2mpiddvy-demo");
        assertThat(path.absolute()).isEqualTo(DEMO);
        assertThat(path).hasToString(DEMO);
        assertThat(StorePath.parse(DRV).name()).isEqualTo("ferry-ref-demo.drv");
    }

    @Test
    void parsesABaseName() {
        assertThat(StorePath.parseBaseName("km2zczhyp58qhwncjwd3lp1h2mpiddvy-demo")).isEqualTo(StorePath.parse(DEMO));
    }

    @ParameterizedTest
    @ValueSource(strings = {"a", "hello-2.12.1", "python3.11-foo_bar+baz", "x?y=z", "-", "A-Z", ".foo", "..foo", "a..",
            // '-' in the name is fine, only the first one separates hash and name
            "glibc-2.37-8-bin"})
    void acceptsNames(String name) {
        StorePath path = new StorePath(HASH, name);
        assertThat(StorePath.parse(path.absolute())).isEqualTo(path);
        assertThat(path.name()).isEqualTo(name);
    }

    @Test
    void nameMayHave211Characters() {
        String name = "x".repeat(211);
        assertThat(StorePath.parse("/nix/store/" + HASH + "-" + name).name()).isEqualTo(name);
    }

    @Test
    void rejectsNameOf212Characters() {
        assertThatThrownBy(() -> StorePath.parse("/nix/store/" + HASH + "-" + "x".repeat(212)))
                .isInstanceOf(NixFormatException.class)
                .hasMessageContaining("longer than 211 characters");
    }

    @Test
    void rejectsEmptyName() {
        assertThatThrownBy(() -> new StorePath(HASH, ""))
                .isInstanceOf(NixFormatException.class)
                .hasMessageContaining("name is empty");
        assertThatThrownBy(() -> StorePath.parse("/nix/store/" + HASH + "-"))
                .isInstanceOf(NixFormatException.class)
                .hasMessageContaining("is not a store path base name");
    }

    @ParameterizedTest
    @ValueSource(strings = {".", "..", ".-foo", "..-foo"})
    void rejectsDotNames(String name) {
        assertThatThrownBy(() -> StorePath.parse("/nix/store/" + HASH + "-" + name))
                .isInstanceOf(NixFormatException.class)
                .hasMessageContaining("name '" + name + "' is not allowed");
    }

    @ParameterizedTest
    @ValueSource(strings = {"a b", "a/b", "a@b", "a!b", "caf\u00e9", "a\nb", "a\u0000b", "a:b", "a%b", "a~b"})
    void rejectsIllegalCharacters(String name) {
        assertThatThrownBy(() -> new StorePath(HASH, name))
                .isInstanceOf(NixFormatException.class)
                .hasMessageContaining("contains illegal character");
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "km2zczhyp58qhwncjwd3lp1h2mpiddv",     // 31 characters
            "km2zczhyp58qhwncjwd3lp1h2mpiddvyy",   // 33 characters
            "em2zczhyp58qhwncjwd3lp1h2mpiddvy",    // 'e' is not nix32
            "KM2ZCZHYP58QHWNCJWD3LP1H2MPIDDVY",    // nor are capitals
            "km2zczhyp58qhwncjwd3lp1h2mpiddv/"})
    void rejectsBadHashPart(String hashPart) {
        assertThatThrownBy(() -> new StorePath(hashPart, "demo"))
                .isInstanceOf(NixFormatException.class)
                .hasMessageContaining("is not 32 nix32 characters");
        assertThat(StorePath.isHashPart(hashPart)).isFalse();
    }

    @Test
    void isHashPartAcceptsAValidHashPart() {
        assertThat(StorePath.isHashPart(HASH)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"/nix/store", "/nix/stor/km2zczhyp58qhwncjwd3lp1h2mpiddvy-demo",
            "nix/store/km2zczhyp58qhwncjwd3lp1h2mpiddvy-demo", "/tmp/km2zczhyp58qhwncjwd3lp1h2mpiddvy-demo",
            "/gnu/store/km2zczhyp58qhwncjwd3lp1h2mpiddvy-demo", "km2zczhyp58qhwncjwd3lp1h2mpiddvy-demo"})
    void rejectsPathsOutsideTheStore(String path) {
        assertThatThrownBy(() -> StorePath.parse(path))
                .isInstanceOf(NixFormatException.class)
                .hasMessageContaining("is not in /nix/store");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/nix/store/km2zczhyp58qhwncjwd3lp1h2mpiddvy", "/nix/store/km2zczhyp58qhwncjwd3lp1h2mpiddvy_demo",
            "/nix/store/km2zczhyp58qhwncjwd3lp1h2mpiddvy-demo/bin/sh", "/nix/store/short-demo", "/nix/store/"})
    void rejectsMalformedBaseNames(String path) {
        assertThatThrownBy(() -> StorePath.parse(path)).isInstanceOf(NixFormatException.class);
    }

    @Test
    void ordersByBaseNameAsNixDoes() {
        StorePath a = StorePath.parse("/nix/store/0000000000000000000000000000000z-zzz");
        StorePath b = StorePath.parse("/nix/store/00000000000000000000000000000010-aaa");
        StorePath c = StorePath.parse("/nix/store/km2zczhyp58qhwncjwd3lp1h2mpiddvy-demo");
        StorePath c2 = StorePath.parse("/nix/store/km2zczhyp58qhwncjwd3lp1h2mpiddvy-demo-2");
        List<StorePath> paths = new ArrayList<>(List.of(c2, c, b, a));
        Collections.sort(paths);
        // position 30 decides: '0' < '1', whatever follows
        assertThat(paths).containsExactly(a, b, c, c2);
        assertThat(c.compareTo(StorePath.parse(DEMO))).isZero();
    }
}
