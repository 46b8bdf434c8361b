package dev.ferry.deployer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.app.Main;
import dev.ferry.nix.StorePath;
import dev.ferry.testkit.RequiresPrograms;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code ferry deployer --once}, {@code status} and {@code rollback} against real systemd, Caddy and Nix. */
@RequiresPrograms({"nix", "nix-build", "nix-store", "nix-env", "caddy", "systemctl"})
class DeployerCommandIT {
    @TempDir
    Path dir;

    private record Run(int exit, String out, String err) {
    }

    private static Run ferry(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = Main.commandLine(args);
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int exit = cli.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    /** Ferry as a process of its own, as a user runs it: exit status, standard output and error. */
    private static Run ferryProcess(String... args) throws Exception {
        String javaCommand = ProcessHandle.current().info().command().orElse("java");
        List<String> argv = new java.util.ArrayList<>(List.of(javaCommand, "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path"), "dev.ferry.app.Main"));
        argv.addAll(List.of(args));
        Process process = new ProcessBuilder(argv).start();
        process.getOutputStream().close();
        java.util.concurrent.CompletableFuture<String> stderr = java.util.concurrent.CompletableFuture.supplyAsync(
                () -> {
                    try {
                        return new String(process.getErrorStream().readAllBytes(),
                                java.nio.charset.StandardCharsets.UTF_8);
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
        String stdout = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(process.waitFor(120, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        return new Run(process.exitValue(), stdout, stderr.get());
    }

    @Test
    void onceStatusAndLocalRollback() throws Exception {
        try (Harness h = new Harness(dir)) {
            StorePath v1 = h.buildService("v1", true);
            StorePath v2 = h.buildService("v2", true);
            StorePath never = h.buildService("v3", false);
            List.of(v1, v2, never).forEach(h::publish);
            Path config = AgentConfig.write(h, dir);
            String c = config.toString();

            h.write("v1", m -> m.withService(Harness.service("web", v1, "web.test")));
            Run once = ferry("deployer", "--config", c, "--once");
            assertThat(once.exit()).as(once.err()).isZero();
            assertThat(once.out()).contains("generation 1: converged");
            h.write("v2", m -> m.withService(Harness.service("web", v2, "web.test")));
            // As a process of its own, as a user runs it: the steps are printed once, on stdout; neither they (the
            // deployer's log) nor dbus-java's connection line repeat on stderr.
            Run process = ferryProcess("deployer", "--config", c, "--once");
            assertThat(process.exit()).as(process.err()).isZero();
            assertThat(process.out()).contains("ferry: activate web (generation 2").contains("generation 2: converged");
            assertThat(process.err()).doesNotContain("deployer: activate").doesNotContain("Using transport");
            assertThat(h.get("web.test", "/").body()).isEqualTo("v2");

            Run status = ferry("deployer", "status", "--config", c);
            assertThat(status.exit()).isZero();
            assertThat(status.out()).contains("web: serving", "desired  " + v2.absolute(),
                    "running  " + v2.absolute(), "route    127.0.0.1:");

            // Local rollback: the previous profile generation, applied by the next pass, until a new generation.
            Run rollback = ferry("deployer", "rollback", "web", "--config", c);
            assertThat(rollback.exit()).as(rollback.err()).isZero();
            assertThat(rollback.out()).contains("rolled back to " + v1.absolute());
            assertThat(ferry("deployer", "--config", c, "--once").exit()).isZero();
            assertThat(h.get("web.test", "/").body()).isEqualTo("v1");

            // A generation that fails: --once and status exit 1, and say why.
            h.write("never", m -> m.withService(Harness.service("web", never, "web.test")));
            Run failing = ferry("deployer", "--config", c, "--once");
            assertThat(failing.exit()).isEqualTo(1);
            assertThat(failing.err()).contains("never got ready");
            // The next pass does not try that spec again, and still says why it fails.
            Run again = ferry("deployer", "--config", c, "--once");
            assertThat(again.exit()).isEqualTo(1);
            assertThat(again.err()).contains("ferry: web: ", "never got ready", "(failed before; not tried again "
                    + "until the manifest changes it)");
            Run failedStatus = ferry("deployer", "status", "--config", c);
            assertThat(failedStatus.exit()).isEqualTo(1);
            assertThat(failedStatus.out()).contains("web: failed", "running  " + v1.absolute(), "never got ready");
            assertThat(h.get("web.test", "/").body()).isEqualTo("v1");

            // state.json removed ("deleting it is safe") and manifest-uri mistyped: no generation is found there, and
            // nothing is torn down for that; --once and status say why and exit 1.
            java.nio.file.Files.delete(h.settings().stateDir().resolve("state.json"));
            Path typo = java.nio.file.Files.createDirectories(dir.resolve("cachez"));
            Path typoConfig = java.nio.file.Files.writeString(dir.resolve("typo.yaml"), java.nio.file.Files
                    .readString(config).replace("manifest-uri: file://" + h.cacheDir, "manifest-uri: file://" + typo));
            Run mistyped = ferry("deployer", "--config", typoConfig.toString(), "--once");
            assertThat(mistyped.exit()).isEqualTo(1);
            assertThat(mistyped.err()).contains("no binary cache at file://" + typo + " (it has no nix-cache-info)");
            assertThat(mistyped.out()).doesNotContain("stop ").contains("FAILED");
            assertThat(ferry("deployer", "status", "--config", typoConfig.toString()).exit()).isEqualTo(1);
            assertThat(h.get("web.test", "/").body()).isEqualTo("v1");
            assertThat(h.units()).hasSize(1);
            // A file:// directory that does not exist is refused at start, and not made.
            Path nowhere = dir.resolve("no-such-cache");
            Path nowhereConfig = java.nio.file.Files.writeString(dir.resolve("nowhere.yaml"), java.nio.file.Files
                    .readString(config).replace("manifest-uri: file://" + h.cacheDir, "manifest-uri: file://"
                            + nowhere));
            Run absent = ferry("deployer", "--config", nowhereConfig.toString(), "--once");
            assertThat(absent.exit()).isEqualTo(1);
            assertThat(absent.err()).contains("no cache at file://" + nowhere + ": the directory " + nowhere
                    + " does not exist");
            assertThat(nowhere).doesNotExist();

            // As a process: each failure once, as the command's own line, not again as the deployer's log warning.
            h.write("no such command", m -> m.withService(Harness.worker("web", never))); // a new spec: tried
            Run failingProcess = ferryProcess("deployer", "--config", c, "--once");
            assertThat(failingProcess.exit()).isEqualTo(1);
            assertThat(failingProcess.err()).contains("ferry: web: exec.command 'run' of service web is not in its "
                    + "closure").doesNotContain("WARNING");
        }
    }
}
