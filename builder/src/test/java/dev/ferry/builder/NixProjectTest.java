package dev.ferry.builder;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class NixProjectTest {
    @Test
    void nixStringsEscapeWhatNixWouldInterpret() {
        assertThat(NixProject.nixString("path:/a b/c?narHash=sha256-x%2f+=")).isEqualTo("path:/a b/c?narHash=sha256-x%2f+=");
        assertThat(NixProject.nixString("a\"b\\c${d}\n")).isEqualTo("a\\\"b\\\\c\\${d}\\n");
    }

    @Test
    void nixErrorsStartAtErrorAndAreBounded() {
        assertThat(NixProject.nixError("warning: dirty\nerror: attribute 'x' missing\n  at flake.nix:3\n", "fallback"))
                .isEqualTo("error: attribute 'x' missing\n  at flake.nix:3");
        assertThat(NixProject.nixError("  ", "fallback")).isEqualTo("fallback");
        assertThat(NixProject.nixError("error: " + "x".repeat(5000), "f")).hasSize(4003).endsWith("...");
    }

    @Test
    void credentialsInCloneUrlsAreRedacted() {
        assertThat(Checkout.redact("fetching https://ferry:s3cret@forge.example/app.git failed"))
                .isEqualTo("fetching https://***@forge.example/app.git failed");
        assertThat(Checkout.redact("file:///srv/git/app.git")).isEqualTo("file:///srv/git/app.git");
    }
}
