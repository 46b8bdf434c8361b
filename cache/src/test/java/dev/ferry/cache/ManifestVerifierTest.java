package dev.ferry.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ferry.nix.SecretKey;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class ManifestVerifierTest {
    private static final String JSON = "{\n  \"version\": 1\n}\n";

    private final SecretKey oldKey = SecretKey.generate("cache-1");
    private final SecretKey newKey = SecretKey.generate("cache-2");
    private final ManifestVerifier both = ManifestVerifier.trusting(List.of(newKey.publicKey(), oldKey.publicKey()));

    @Test
    void returnsTheKeyThatSignedAmongSeveralTrusted() {
        assertThat(both.verify("m", JSON, oldKey.sign(JSON))).isEqualTo(oldKey.publicKey());
        assertThat(both.verify("m", JSON, newKey.sign(JSON))).isEqualTo(newKey.publicKey());
    }

    @Test
    void verifiesExactBytesAndToleratesATrailingNewlineInTheSignatureFile() {
        byte[] json = JSON.getBytes(StandardCharsets.UTF_8);
        byte[] sig = (oldKey.sign(JSON) + "\n").getBytes(StandardCharsets.US_ASCII);
        assertThat(both.verify("m", json, sig)).isEqualTo(oldKey.publicKey());
        byte[] tampered = json.clone();
        tampered[5] ^= 0x20;
        assertThatThrownBy(() -> both.verify("m", tampered, sig)).isInstanceOf(ManifestSignatureException.class)
                .hasMessage("m does not match its signature by 'cache-1': it was changed after signing, or the "
                        + "signature belongs to other content");
        byte[] appended = (JSON + " ").getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> both.verify("m", appended, sig)).isInstanceOf(ManifestSignatureException.class);
    }

    @Test
    void malformedSignaturesAreRefusedClearly() {
        assertThatThrownBy(() -> both.verify("m", JSON, "")).hasMessage("m is unsigned: its signature is empty");
        for (String sig : List.of("nocolon", "cache-1:", ":abc", "cache-1:abc\ncache-2:def")) {
            assertThatThrownBy(() -> both.verify("m", JSON, sig)).as(sig).isInstanceOf(ManifestSignatureException.class)
                    .hasMessage("m has a malformed signature (expected keyname:base64)");
        }
        assertThatThrownBy(() -> both.verify("m", JSON, "cache-1:!!!!")).isInstanceOf(ManifestSignatureException.class)
                .hasMessageContaining("does not match its signature by 'cache-1'");
        assertThatThrownBy(() -> both.verify("m", JSON, "cache-9:" + oldKey.sign(JSON).substring(8)))
                .hasMessage("m is signed by key 'cache-9', which is not trusted (trusted: cache-2, cache-1)");
    }

    @Test
    void aVerifierNeedsAtLeastOneKey() {
        assertThatThrownBy(() -> ManifestVerifier.trusting(List.of())).isInstanceOf(ManifestException.class)
                .hasMessageContaining("no trusted public key");
    }
}
