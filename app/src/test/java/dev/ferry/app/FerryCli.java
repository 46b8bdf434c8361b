package dev.ferry.app;

import dev.ferry.process.Command;
import dev.ferry.process.ProcessException;
import dev.ferry.process.ProcessResult;
import dev.ferry.process.ProcessRunner;
import dev.ferry.testkit.TestEnv;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Runs the packaged {@code ferry.jar} as a user would, in a separate JVM (the one running the tests), through Ferry's
 * own process seam. Failsafe runs after {@code package}, and the build passes the jar's path as {@code ferry.jar}.
 */
final class FerryCli {
    private static final Duration TIMEOUT = Duration.ofMinutes(2);

    /** How a run ended; {@code stdout} is empty when it went to a caller's stream. */
    record Result(int exitCode, String stdout, String stderr) {
    }

    private FerryCli() {
    }

    static Path jar() {
        Path jar = Path.of(System.getProperty("ferry.jar", "target/ferry.jar"));
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: run the CLI tests with mvn verify (after package)");
        }
        return jar;
    }

    /** {@code ferry ARGS...}, stdout captured as text. */
    static Result run(String... args) {
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        Result result = run(List.of(args), Optional.empty(), stdout);
        return new Result(result.exitCode(), stdout.toString(StandardCharsets.UTF_8), result.stderr());
    }

    /** {@code ferry ARGS... < stdin > stdout}. A non-zero exit is returned, not thrown. */
    static Result run(List<String> args, Optional<Path> stdin, OutputStream stdout) {
        List<String> argv = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-jar", jar().toString()));
        argv.addAll(args);
        // As bin/ferry does: a UTF-8 locale, so file names are decoded exactly.
        Map<String, String> environment = new HashMap<>(TestEnv.nixEnvironment());
        environment.put("LC_ALL", "C.UTF-8");
        Command command = Command.of(argv).environment(environment).timeout(TIMEOUT);
        if (stdin.isPresent()) {
            command = command.stdin(stdin.get());
        }
        try {
            ProcessResult result = ProcessRunner.local().run(command, stdout);
            return new Result(result.exitCode(), "", result.stderr());
        } catch (ProcessException e) {
            if (e.exitCode() < 0) {
                throw e; // did not start, or timed out
            }
            return new Result(e.exitCode(), "", e.stderr());
        }
    }
}
