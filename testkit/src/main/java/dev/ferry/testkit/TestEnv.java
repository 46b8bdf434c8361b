package dev.ferry.testkit;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/** What the integration tests know of their environment, as {@code scripts/test-env} prepared it. */
public final class TestEnv {
    /** The Nix settings that work offline on these machines (no daemon, no sandbox, no substituters). */
    public static final String NIX_CONFIG = """
            experimental-features = nix-command flakes
            sandbox = false
            substituters =
            """;

    private TestEnv() {
    }

    public static boolean isCi() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }

    public static Optional<Path> findProgram(String name) {
        String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
        for (String dir : path.split(File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(dir, name);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /**
     * Environment for running {@code nix}: the offline settings, unless {@code scripts/test-env} exported its own
     * {@code NIX_CONFIG}.
     */
    public static Map<String, String> nixEnvironment() {
        String exported = System.getenv("NIX_CONFIG");
        return Map.of("NIX_CONFIG", exported != null && !exported.isBlank() ? exported : NIX_CONFIG);
    }

    /**
     * {@code count} distinct ports that were free a moment ago: the sockets are held open together, so the ports
     * cannot repeat (two ports taken one after the other can). Another process may still take one before its user.
     */
    public static int[] freePorts(int count) {
        java.util.List<java.net.ServerSocket> sockets = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < count; i++) {
                sockets.add(new java.net.ServerSocket(0));
            }
            return sockets.stream().mapToInt(java.net.ServerSocket::getLocalPort).toArray();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } finally {
            for (java.net.ServerSocket socket : sockets) {
                try {
                    socket.close();
                } catch (java.io.IOException e) {
                    // closing a listening socket that was never used
                }
            }
        }
    }
}
