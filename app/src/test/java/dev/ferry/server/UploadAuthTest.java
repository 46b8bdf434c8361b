package dev.ferry.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UploadAuthTest {
    private static final String TOKEN = "0123456789abcdef-token";

    @TempDir
    Path temp;

    private static String basic(String credentials) {
        return "Basic " + Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void presentedTokens() {
        assertThat(UploadAuth.presentedToken("Bearer " + TOKEN)).hasValue(TOKEN);
        assertThat(UploadAuth.presentedToken("bearer " + TOKEN)).hasValue(TOKEN);
        assertThat(UploadAuth.presentedToken(basic(":" + TOKEN))).hasValue(TOKEN);
        assertThat(UploadAuth.presentedToken(basic("nix:" + TOKEN))).hasValue(TOKEN);
        assertThat(UploadAuth.presentedToken(basic("user:pass:word"))).hasValue("pass:word");
        assertThat(UploadAuth.presentedToken(basic(TOKEN))).isEmpty();
        assertThat(UploadAuth.presentedToken("Basic %%%")).isEmpty();
        assertThat(UploadAuth.presentedToken("Bearer")).isEmpty();
        assertThat(UploadAuth.presentedToken(TOKEN)).isEmpty();
        assertThat(UploadAuth.presentedToken("Digest " + TOKEN)).isEmpty();
    }

    @Test
    void checksTheToken() {
        UploadAuth auth = UploadAuth.token(TOKEN);
        assertThatCode(() -> auth.check(Optional.of("Bearer " + TOKEN))).doesNotThrowAnyException();
        assertThatCode(() -> auth.check(Optional.of(basic(":" + TOKEN)))).doesNotThrowAnyException();
        for (Optional<String> wrong : java.util.List.of(Optional.<String>empty(), Optional.of("Bearer " + TOKEN + "x"),
                Optional.of("Bearer " + TOKEN.substring(1)), Optional.of(basic(TOKEN + ":")))) {
            assertThatThrownBy(() -> auth.check(wrong)).isInstanceOfSatisfying(Refusal.class,
                    r -> assertThat(r.reason()).isEqualTo(Refusal.Reason.UNAUTHORIZED));
        }
        // A wrong token is told from a missing one (and neither message holds either token).
        assertThatThrownBy(() -> auth.check(Optional.of("Bearer wrong-token-0123456789")))
                .hasMessage("the token presented is not the upload token");
        assertThatThrownBy(() -> auth.check(Optional.of(basic("nix:wrong-token-0123456789"))))
                .hasMessage("the token presented is not the upload token");
        assertThatThrownBy(() -> auth.check(Optional.empty())).hasMessage("the upload token is required "
                + "(Authorization: Bearer TOKEN, or Basic with the token as password, as Nix sends from a netrc file)");
    }

    @Test
    void withoutATokenUploadsAreForbidden() {
        assertThatThrownBy(() -> UploadAuth.disabled().check(Optional.of("Bearer " + TOKEN)))
                .isInstanceOfSatisfying(Refusal.class, r -> assertThat(r.reason()).isEqualTo(Refusal.Reason.FORBIDDEN));
    }

    @Test
    void readsTheTokenFileWithoutItsNewline() throws IOException {
        Path file = temp.resolve("token");
        Files.writeString(file, TOKEN + "\n");
        assertThatCode(() -> UploadAuth.fromFile(file).check(Optional.of("Bearer " + TOKEN))).doesNotThrowAnyException();
        assertThat(UploadAuth.fromFile(file).toString()).doesNotContain(TOKEN);
    }

    @Test
    void refusesShortOrMissingTokenFilesNamingTheKey() throws IOException {
        Path shortToken = temp.resolve("short");
        Files.writeString(shortToken, "tooshort\n");
        assertThatThrownBy(() -> UploadAuth.fromFile(shortToken))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageStartingWith("ferry.cache.upload-token-file: ")
                .hasMessageContaining("at least 16")
                .hasMessageNotContaining("tooshort\n");
        assertThatThrownBy(() -> UploadAuth.fromFile(temp.resolve("missing")))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageStartingWith("ferry.cache.upload-token-file: ")
                .hasMessageContaining("NoSuchFileException");
    }
}
