package dev.ferry.nix;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class NarInfoTest {
    /*
     * Both fixtures were written by Nix 2.8.0 on this machine, with
     * NIX_CONFIG='experimental-features = nix-command flakes\nsandbox = false\nsubstituters =':
     *
     *   mkdir -p demo/sub; echo -n hello > demo/greeting; printf '#!/bin/sh\necho hi\n' > demo/sub/run
     *   chmod +x demo/sub/run; ln -s greeting demo/link
     *   nix-store --add demo                     # /nix/store/km2zczhyp58qhwncjwd3lp1h2mpiddvy-demo
     *   # refdemo.nix, a derivation whose output refers to demo and to itself:
     *   # derivation { name = "ferry-ref-demo"; system = "x86_64-linux"; builder = "/bin/sh";
     *   #   args = [ "-c" "echo ${builtins.storePath "/nix/store/km2z...-demo"} $out > $out" ]; }
     *   nix-store -r $(nix-instantiate refdemo.nix)   # /nix/store/7p8c26wlkq0i2sgfsz5ri4p1f070navm-ferry-ref-demo
     *   nix-store --generate-binary-cache-key ferry-test-1 sk pk     # the key in SignaturesTest
     *   nix copy --to 'file:///tmp/x?compression=none&secret-key=sk' /nix/store/7p8c...-ferry-ref-demo
     *
     * which copied both paths; the files are /tmp/x/<hash>.narinfo. The NAR of demo is in test resources (demo.nar).
     */
    static final String REF_DEMO = """
            StorePath: /nix/store/7p8c26wlkq0i2sgfsz5ri4p1f070navm-ferry-ref-demo
            URL: nar/0gaddv25riysf5ygw8443xwri6r4mx6ifcbb20na9ldgj4fb38fl.nar
            Compression: none
            FileHash: sha256:0gaddv25riysf5ygw8443xwri6r4mx6ifcbb20na9ldgj4fb38fl
            FileSize: 224
            NarHash: sha256:0gaddv25riysf5ygw8443xwri6r4mx6ifcbb20na9ldgj4fb38fl
            NarSize: 224
            References: 7p8c26wlkq0i2sgfsz5ri4p1f070navm-ferry-ref-demo km2zczhyp58qhwncjwd3lp1h2mpiddvy-demo
            Deriver: 9ggh3q64ciy282xqwdswg247qmbwp634-ferry-ref-demo.drv
            Sig: ferry-test-1:fO76F4lh0ZPXC4XBpO/Qlxc5hXR8p1lIXLiDtYFlbDzx9C5DxEyHz4iZRbFwujvWO0PbXjBcXsuUOG5esgOMAw==
            """;

    /** No references (Nix still writes "References: " with its space), no deriver, a CA field. */
    static final String DEMO = """
            StorePath: /nix/store/km2zczhyp58qhwncjwd3lp1h2mpiddvy-demo
            URL: nar/0m023b0xp3cfj1z2l4gy5g6k2zx6f02nb50ad53yb3nkha52hx7s.nar
            Compression: none
            FileHash: sha256:0m023b0xp3cfj1z2l4gy5g6k2zx6f02nb50ad53yb3nkha52hx7s
            FileSize: 888
            NarHash: sha256:0m023b0xp3cfj1z2l4gy5g6k2zx6f02nb50ad53yb3nkha52hx7s
            NarSize: 888
            References:\s
            Sig: ferry-test-1:+eAmzbTUOoVU5twrX6rstu6GAd13Udngi9hBrdfk+iXIHP8+WtYL2Y+tWOyBSIlvuApiKPWnQitMU5k/ME1ABQ==
            CA: fixed:r:sha256:0m023b0xp3cfj1z2l4gy5g6k2zx6f02nb50ad53yb3nkha52hx7s
            """;

    static final String REF_DEMO_FINGERPRINT = "1;/nix/store/7p8c26wlkq0i2sgfsz5ri4p1f070navm-ferry-ref-demo;"
            + "sha256:0gaddv25riysf5ygw8443xwri6r4mx6ifcbb20na9ldgj4fb38fl;224;"
            + "/nix/store/7p8c26wlkq0i2sgfsz5ri4p1f070navm-ferry-ref-demo,/nix/store/km2zczhyp58qhwncjwd3lp1h2mpiddvy-demo";

    @Test
    void parsesANarinfoNixWrote() {
        NarInfo info = NarInfo.parse(REF_DEMO);
        assertThat(info.storePath()).isEqualTo(StorePath.parse("/nix/store/7p8c26wlkq0i2sgfsz5ri4p1f070navm-ferry-ref-demo"));
        assertThat(info.url()).isEqualTo("nar/0gaddv25riysf5ygw8443xwri6r4mx6ifcbb20na9ldgj4fb38fl.nar");
        assertThat(info.compression()).isEqualTo("none");
        assertThat(info.fileHash()).contains(Hash.parse("sha256:0gaddv25riysf5ygw8443xwri6r4mx6ifcbb20na9ldgj4fb38fl"));
        assertThat(info.fileSize()).hasValue(224);
        assertThat(info.narHash()).isEqualTo(Hash.parse("sha256:0gaddv25riysf5ygw8443xwri6r4mx6ifcbb20na9ldgj4fb38fl"));
        assertThat(info.narSize()).isEqualTo(224);
        assertThat(info.references()).extracting(StorePath::name).containsExactly("ferry-ref-demo", "demo");
        assertThat(info.deriver()).map(StorePath::baseName).contains("9ggh3q64ciy282xqwdswg247qmbwp634-ferry-ref-demo.drv");
        assertThat(info.system()).isEmpty();
        assertThat(info.signatures()).singleElement().asString().startsWith("ferry-test-1:fO76");
        assertThat(info.ca()).isEmpty();
    }

    @Test
    void parsesANarinfoWithoutReferencesAndWithCa() {
        NarInfo info = NarInfo.parse(DEMO);
        assertThat(info.references()).isEmpty();
        assertThat(info.deriver()).isEmpty();
        assertThat(info.ca()).contains("fixed:r:sha256:0m023b0xp3cfj1z2l4gy5g6k2zx6f02nb50ad53yb3nkha52hx7s");
        assertThat(info.narSize()).isEqualTo(888);
    }

    @ParameterizedTest
    @ValueSource(strings = {REF_DEMO, DEMO})
    void renderReproducesNixsTextByteForByte(String text) {
        assertThat(NarInfo.parse(text).render()).isEqualTo(text);
    }

    @Test
    void rendersSystemAndSortsSignatures() {
        NarInfo info = NarInfo.parse(DEMO.replace("Sig: ", "System: x86_64-linux\nSig: zz:AAAA\nSig: "))
                .withSignature("aa:BBBB");
        assertThat(info.render()).contains("References: \nSystem: x86_64-linux\nSig: aa:BBBB\nSig: ferry-test-1:")
                .contains("\nSig: zz:AAAA\nCA: ");
    }

    @Test
    void referencesAreSortedWhateverTheInputOrder() {
        String swapped = REF_DEMO.replace(
                "References: 7p8c26wlkq0i2sgfsz5ri4p1f070navm-ferry-ref-demo km2zczhyp58qhwncjwd3lp1h2mpiddvy-demo",
                "References: km2zczhyp58qhwncjwd3lp1h2mpiddvy-demo  7p8c26wlkq0i2sgfsz5ri4p1f070navm-ferry-ref-demo");
        assertThat(swapped).isNotEqualTo(REF_DEMO);
        NarInfo info = NarInfo.parse(swapped);
        assertThat(info.render()).isEqualTo(REF_DEMO);
        assertThat(info.referencePaths()).containsExactly(
                "/nix/store/7p8c26wlkq0i2sgfsz5ri4p1f070navm-ferry-ref-demo",
                "/nix/store/km2zczhyp58qhwncjwd3lp1h2mpiddvy-demo");
    }

    @Test
    void fingerprintListsFullReferencePathsSorted() {
        assertThat(NarInfo.parse(REF_DEMO).fingerprint()).isEqualTo(REF_DEMO_FINGERPRINT);
        assertThat(NarInfo.parse(DEMO).fingerprint()).isEqualTo("1;/nix/store/km2zczhyp58qhwncjwd3lp1h2mpiddvy-demo;"
                + "sha256:0m023b0xp3cfj1z2l4gy5g6k2zx6f02nb50ad53yb3nkha52hx7s;888;");
    }

    @Test
    void missingCompressionMeansBzip2() {
        NarInfo info = NarInfo.parse(DEMO.replace("Compression: none\n", ""));
        assertThat(info.compression()).isEqualTo("bzip2");
        assertThat(info.render()).contains("\nCompression: bzip2\n");
    }

    @Test
    void unknownKeysAreIgnored() {
        NarInfo info = NarInfo.parse(DEMO.replace("NarSize: 888\n", "NarSize: 888\nFutureField: whatever: it is\n"));
        assertThat(info.render()).isEqualTo(DEMO);
    }

    @ParameterizedTest
    @ValueSource(strings = {"StorePath", "URL", "NarHash"})
    void rejectsMissingRequiredField(String field) {
        String text = DEMO.lines().filter(l -> !l.startsWith(field + ": ")).map(l -> l + "\n")
                .reduce("", String::concat);
        assertThat(text).isNotEqualTo(DEMO);
        assertThatThrownBy(() -> NarInfo.parse(text))
                .isInstanceOf(NixFormatException.class)
                .hasMessage("malformed narinfo: " + field + " is missing");
    }

    @Test
    void rejectsMissingOrZeroNarSize() {
        assertThatThrownBy(() -> NarInfo.parse(DEMO.replace("NarSize: 888\n", "")))
                .isInstanceOf(NixFormatException.class)
                .hasMessageContaining("NarSize is missing or zero");
        assertThatThrownBy(() -> NarInfo.parse(DEMO.replace("NarSize: 888\n", "NarSize: 0\n")))
                .isInstanceOf(NixFormatException.class)
                .hasMessageContaining("NarSize is missing or zero");
    }

    @ParameterizedTest
    @ValueSource(strings = {"-1", "", " 888", "888 ", "0x10", "1e3", "99999999999999999999",
            // 19 digits, but more than Long.MAX_VALUE
            "9999999999999999999"})
    void rejectsBadSizes(String size) {
        assertThatThrownBy(() -> NarInfo.parse(DEMO.replace("NarSize: 888\n", "NarSize: " + size + "\n")))
                .isInstanceOf(NixFormatException.class)
                .hasMessageContaining("line 7: NarSize: ")
                .hasMessageContaining("is not a size");
        assertThatThrownBy(() -> NarInfo.parse(DEMO.replace("FileSize: 888\n", "FileSize: " + size + "\n")))
                .isInstanceOf(NixFormatException.class)
                .hasMessageContaining("line 5: FileSize: ")
                .hasMessageContaining("is not a size");
    }

    @Test
    void acceptsTheLargestSize() {
        NarInfo info = NarInfo.parse(DEMO.replace("NarSize: 888\n", "NarSize: 9223372036854775807\n"));
        assertThat(info.narSize()).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void rejectsBadHash() {
        assertThatThrownBy(() -> NarInfo.parse(DEMO.replace("NarHash: sha256:0m023", "NarHash: sha256:em023")))
                .isInstanceOf(NixFormatException.class)
                .hasMessageContaining("malformed narinfo, line 6: NarHash: invalid nix32 hash");
        assertThatThrownBy(() -> NarInfo.parse(DEMO.replace("FileHash: sha256:", "FileHash: sha257:")))
                .isInstanceOf(NixFormatException.class)
                .hasMessageContaining("line 4: FileHash: unknown hash algorithm 'sha257'");
    }

    @Test
    void rejectsBadReference() {
        String text = REF_DEMO.replace(" km2zczhyp58qhwncjwd3lp1h2mpiddvy-demo", " km2zczhyp58qhwncjwd3lp1h2mpiddvy");
        assertThatThrownBy(() -> NarInfo.parse(text))
                .isInstanceOf(NixFormatException.class)
                .hasMessageContaining("line 8: References: 'km2zczhyp58qhwncjwd3lp1h2mpiddvy' is not a store path base name");
        assertThatThrownBy(() -> NarInfo.parse(REF_DEMO.replace("References: 7p8c", "References: /nix/store/7p8c")))
                .isInstanceOf(NixFormatException.class)
                .hasMessageContaining("line 8: References: ");
    }

    @Test
    void rejectsBadDeriverAndStorePath() {
        assertThatThrownBy(() -> NarInfo.parse(REF_DEMO.replace("Deriver: 9ggh", "Deriver: eggh")))
                .isInstanceOf(NixFormatException.class)
                .hasMessageContaining("line 9: Deriver: ");
        assertThatThrownBy(() -> NarInfo.parse(REF_DEMO.replace("StorePath: /nix/store/", "StorePath: /nix/stor/")))
                .isInstanceOf(NixFormatException.class)
                .hasMessageContaining("line 1: StorePath: ")
                .hasMessageContaining("is not in /nix/store");
    }

    @Test
    void rejectsLineWithoutColonSpace() {
        assertThatThrownBy(() -> NarInfo.parse(DEMO.replace("Compression: none", "Compression:none")))
                .isInstanceOf(NixFormatException.class)
                .hasMessage("malformed narinfo, line 3: expected 'Key: value'");
        assertThatThrownBy(() -> NarInfo.parse(DEMO + "\n"))
                .isInstanceOf(NixFormatException.class)
                .hasMessage("malformed narinfo, line 11: expected 'Key: value'");
    }

    @Test
    void rejectsLastLineWithoutNewline() {
        assertThatThrownBy(() -> NarInfo.parse(DEMO.stripTrailing()))
                .isInstanceOf(NixFormatException.class)
                .hasMessage("malformed narinfo, line 10: line does not end with a newline");
    }

    @Test
    void rejectsDuplicateReferencesAndCa() {
        assertThatThrownBy(() -> NarInfo.parse(DEMO + "References: \n"))
                .isInstanceOf(NixFormatException.class)
                .hasMessage("malformed narinfo, line 11: References: References given twice");
        assertThatThrownBy(() -> NarInfo.parse(DEMO + "CA: fixed:r:sha256:0m023b0xp3cfj1z2l4gy5g6k2zx6f02nb50ad53yb3nkha52hx7s\n"))
                .isInstanceOf(NixFormatException.class)
                .hasMessageContaining("line 11: CA: CA given twice");
    }

    @Test
    void rejectsSignatureWithoutKeyName() {
        assertThatThrownBy(() -> NarInfo.parse(DEMO + "Sig: :AAAA\n"))
                .isInstanceOf(NixFormatException.class)
                .hasMessageContaining("is not keyname:base64");
    }

    @Test
    void rejectsEmptyText() {
        assertThatThrownBy(() -> NarInfo.parse(""))
                .isInstanceOf(NixFormatException.class)
                .hasMessage("malformed narinfo: StorePath is missing");
    }

    @Test
    void constructorRejectsNewlinesThatWouldForgeFields() {
        NarInfo info = NarInfo.parse(DEMO);
        assertThatThrownBy(() -> new NarInfo(info.storePath(), "nar/x.nar\nStorePath: /nix/store/evil", "none",
                info.fileHash(), info.fileSize(), info.narHash(), info.narSize(), info.references(), info.deriver(),
                info.system(), info.signatures(), info.ca()))
                .isInstanceOf(NixFormatException.class)
                .hasMessageContaining("newline");
        assertThatThrownBy(() -> info.withSignature("k:AAAA\nURL: elsewhere"))
                .isInstanceOf(NixFormatException.class)
                .hasMessageContaining("is not keyname:base64");
    }

    @Test
    void referencesAndSignaturesCannotBeChangedFromOutside() {
        NarInfo info = NarInfo.parse(REF_DEMO);
        assertThatThrownBy(() -> info.references().clear()).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> info.signatures().add("x:y")).isInstanceOf(UnsupportedOperationException.class);
        assertThat(info.withSignature("x:y").signatures()).hasSize(2);
        assertThat(info.signatures()).hasSize(1);
        assertThat(List.copyOf(info.references())).hasSize(2);
    }
}
