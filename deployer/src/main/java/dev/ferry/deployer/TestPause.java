package dev.ferry.deployer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Test only: with {@code FERRY_TEST_PAUSE_BEFORE_SWITCH=FILE} in the environment, the executor stops right after
 * starting a new unit (before its ready check and route switch), creates {@code FILE.paused}, and waits until
 * {@code FILE} exists, so a test can kill the process there. Inert unless the variable is set.
 */
final class TestPause {
    static final String VARIABLE = "FERRY_TEST_PAUSE_BEFORE_SWITCH";

    private TestPause() {
    }

    static Consumer<String> fromEnvironment() {
        return Optional.ofNullable(System.getenv(VARIABLE)).filter(v -> !v.isBlank()).map(Path::of)
                .<Consumer<String>>map(file -> unit -> pauseUntil(file)).orElse(unit -> { });
    }

    private static void pauseUntil(Path file) {
        try {
            Files.writeString(file.resolveSibling(file.getFileName() + ".paused"), "");
            while (!Files.exists(file)) {
                Thread.sleep(50);
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
