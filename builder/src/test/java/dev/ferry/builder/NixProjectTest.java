package dev.ferry.builder;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.process.Command;
import dev.ferry.process.ProcessResult;
import dev.ferry.process.ProcessRunner;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NixProjectTest {
    @TempDir
    Path dir;

    /** Answers every command with {@code stdout}, recording the commands. */
    private static final class Scripted implements ProcessRunner {
        final List<Command> commands = new ArrayList<>();
        private final String stdout;

        Scripted(String stdout) {
            this.stdout = stdout;
        }

        @Override
        public ProcessResult run(Command command, OutputStream out) {
            commands.add(command);
            try {
                out.write(stdout.getBytes(StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return new ProcessResult(0, "", "");
        }
    }

    private BuildLog log() {
        return new BuildLog(new ByteArrayOutputStream());
    }

    @Test
    void withDevenvNixAndDevenvInstalledTheConfigIsTheFileDevenvBuilds() throws IOException {
        Path checkout = Files.createDirectories(dir.resolve("checkout"));
        Files.writeString(checkout.resolve("devenv.nix"), "{ }");
        Path json = Files.writeString(dir.resolve("ferry.json"),
                "{\"sites\": {\"docs\": {\"package\": \"docs\"}}}");
        Scripted runner = new Scripted("some progress\n" + json + "\n");
        NixProject nix = new NixProject(runner, PipelineSettings.defaults(dir), program -> program.equals("devenv"));

        ProjectConfig config = nix.config(checkout, "path:" + checkout + "?narHash=x", log());

        assertThat(config.sites()).containsOnlyKeys("docs");
        assertThat(runner.commands).singleElement().satisfies(c -> {
            assertThat(c.argv()).containsExactly("devenv", "build", "ferry.config");
            assertThat(c.directory()).contains(checkout);
        });
    }

    @Test
    void withoutDevenvTheFlakeOutputIsEvaluatedPurely() throws IOException {
        Path checkout = Files.createDirectories(dir.resolve("checkout"));
        Files.writeString(checkout.resolve("devenv.nix"), "{ }");
        Scripted runner = new Scripted("{\"services\": {}}");
        NixProject nix = new NixProject(runner, PipelineSettings.defaults(dir), program -> false);

        nix.config(checkout, "path:/work/1?narHash=sha256-x", log());

        assertThat(runner.commands).singleElement().satisfies(c -> {
            assertThat(c.argv()).startsWith("nix", "--extra-experimental-features", "nix-command flakes", "eval",
                    "--json").doesNotContain("--impure");
            assertThat(c.argv().getLast()).contains("builtins.getFlake \"path:/work/1?narHash=sha256-x\"");
            assertThat(c.timeout()).isEqualTo(PipelineSettings.defaults(dir).nixTimeout());
        });
    }

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
        assertThat(NixProject.nixError("hello-web> compiling hello-web: error: missing semicolon\nerror: builder "
                + "for '/nix/store/x.drv' failed with exit code 1\n", "fallback"))
                .startsWith("hello-web> compiling hello-web: error: missing semicolon\nerror: builder");
        assertThat(NixProject.nixError("error: " + "x".repeat(5000), "f")).hasSize(4003).endsWith("...");
    }

    @Test
    void credentialsInCloneUrlsAreRedacted() {
        assertThat(Project.redact("fetching https://ferry:s3cret@forge.example/app.git failed"))
                .isEqualTo("fetching https://***@forge.example/app.git failed");
        assertThat(Project.redact("file:///srv/git/app.git")).isEqualTo("file:///srv/git/app.git");
    }
}
