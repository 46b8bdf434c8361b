package dev.ferry.process;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;

/** Whether a program can be run by name, before running it. */
public final class Programs {
    private Programs() {
    }

    /** True when a regular, executable file {@code program} is in a directory of {@code PATH}. */
    public static boolean onPath(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(File.pathSeparator)) {
            if (isExecutableFile(Path.of(dir.isEmpty() ? "." : dir, program))) {
                return true;
            }
        }
        return false;
    }

    /** True when {@code file} is a regular file (links followed) that this process may execute. */
    public static boolean isExecutableFile(Path file) {
        return Files.isRegularFile(file) && Files.isExecutable(file);
    }
}
