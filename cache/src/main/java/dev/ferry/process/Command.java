package dev.ferry.process;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One external program to run: an argv list (never a shell line), a timeout, extra environment variables, and
 * optionally a working directory and a file to read standard input from.
 */
public record Command(List<String> argv, Duration timeout, Map<String, String> environment,
                      Optional<Path> directory, Optional<Path> stdin) {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(10);

    public Command {
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("a command needs a program");
        }
        argv = List.copyOf(argv);
        environment = Map.copyOf(environment);
    }

    public static Command of(String... argv) {
        return new Command(List.of(argv), DEFAULT_TIMEOUT, Map.of(), Optional.empty(), Optional.empty());
    }

    public static Command of(List<String> argv) {
        return new Command(argv, DEFAULT_TIMEOUT, Map.of(), Optional.empty(), Optional.empty());
    }

    public Command timeout(Duration value) {
        return new Command(argv, value, environment, directory, stdin);
    }

    public Command environment(Map<String, String> value) {
        return new Command(argv, timeout, value, directory, stdin);
    }

    public Command directory(Path value) {
        return new Command(argv, timeout, environment, Optional.of(value), stdin);
    }

    public Command stdin(Path value) {
        return new Command(argv, timeout, environment, directory, Optional.of(value));
    }

    /** The program and its arguments, space-separated, for messages. */
    public String display() {
        return String.join(" ", argv);
    }
}
