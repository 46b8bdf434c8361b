package dev.ferry.builder;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The processes of this machine a test looks for: what a build started and must have stopped. */
public final class Processes {
    private Processes() {
    }

    /** Processes whose working directory is under {@code directory} (nix runs in the build's checkout). */
    public static List<ProcessHandle> in(Path directory) {
        return ProcessHandle.allProcesses().filter(p -> {
            try {
                return Files.readSymbolicLink(Path.of("/proc", Long.toString(p.pid()), "cwd")).startsWith(directory);
            } catch (IOException | UnsupportedOperationException e) {
                return false;
            }
        }).toList();
    }

    /** Processes whose command line contains {@code text}. */
    public static List<ProcessHandle> with(String text) {
        return ProcessHandle.allProcesses().filter(p -> p.info().commandLine().orElse("").contains(text)
                || p.info().arguments().map(a -> String.join(" ", a)).orElse("").contains(text)).toList();
    }
}
