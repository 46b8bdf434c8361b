package dev.ferry.app;

import dev.ferry.process.Command;
import dev.ferry.process.ProcessException;
import dev.ferry.process.ProcessRunner;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What {@code ferry demo} needs from this machine and what it starts on it: the programs (installed with apt-get as
 * root on Debian), a systemd user manager (reused when one answers, else started as {@code scripts/test-env} does),
 * its own Caddy on free loopback ports, and the cleanup of exactly the units, Caddy and user manager it started.
 * Every program runs through {@link ProcessRunner}; long-running ones are started detached by a tiny shell line
 * whose arguments are passed positionally (never interpolated).
 */
final class DemoHost {
    private static final Duration SHORT = Duration.ofSeconds(10);
    /** Runs "$@" detached, stdin from /dev/null, output to the log "$1"; prints the child's PID. */
    private static final String SPAWN = "log=$1; shift; \"$@\" </dev/null >\"$log\" 2>&1 & echo $!";

    private final ProcessRunner runner;
    private final PrintWriter out;
    private final Path runtimeDir;
    private Optional<Long> userManagerPid = Optional.empty();
    private Optional<Long> caddyPid = Optional.empty();
    private boolean createdMarker;

    DemoHost(ProcessRunner runner, PrintWriter out) {
        this.runner = runner;
        this.out = out;
        this.runtimeDir = Path.of("/run/user", Long.toString(uid()));
    }

    /** The D-Bus address of the user manager the deployer talks to. */
    String bus() {
        return "unix:path=" + runtimeDir.resolve("bus");
    }

    /** The programs to build and publish with; empty when all are there. */
    static List<String> missingForBuild() {
        return missing(List.of("nix", "nix-store"));
    }

    /** What the deploy step lacks, in words; empty when it can run. */
    static List<String> missingForDeploy() {
        List<String> missing = new ArrayList<>(missing(List.of("nix-env", "caddy", "systemctl")));
        if (!Files.isExecutable(Path.of("/lib/systemd/systemd"))) {
            missing.add("/lib/systemd/systemd (Debian package systemd)");
        }
        if (!Files.isExecutable(Path.of("/usr/bin/dbus-daemon")) && !Files.isExecutable(Path.of("/usr/bin/dbus-broker"))) {
            missing.add("a D-Bus daemon for the user manager (Debian package dbus-user-session)");
        }
        return missing;
    }

    /** As root on Debian: apt-get install what is missing. Returns whether it tried. */
    boolean installMissing() {
        List<String> packages = new ArrayList<>();
        if (!missing(List.of("nix", "nix-store", "nix-env")).isEmpty()) {
            packages.add("nix-bin");
        }
        if (!missing(List.of("caddy")).isEmpty()) {
            packages.add("caddy");
        }
        if (!Files.isExecutable(Path.of("/lib/systemd/systemd")) || !missing(List.of("systemctl")).isEmpty()) {
            packages.add("systemd");
        }
        if (!Files.isExecutable(Path.of("/usr/bin/dbus-daemon")) && !Files.isExecutable(Path.of("/usr/bin/dbus-broker"))) {
            packages.add("dbus-user-session");
        }
        if (packages.isEmpty() || uid() != 0 || missing(List.of("apt-get")).size() > 0) {
            return false;
        }
        say("installing " + String.join(" ", packages) + " (apt-get, as root)");
        Map<String, String> env = Map.of("DEBIAN_FRONTEND", "noninteractive");
        try {
            runner.run(Command.of("apt-get", "update", "-qq").environment(env).timeout(Duration.ofMinutes(5)));
            List<String> argv = new ArrayList<>(List.of("apt-get", "install", "-y", "-qq", "--no-install-recommends"));
            argv.addAll(packages);
            runner.run(Command.of(argv).environment(env).timeout(Duration.ofMinutes(15)));
        } catch (ProcessException e) {
            say("apt-get failed: " + e.getMessage());
        }
        return true;
    }

    /** Reuses the user manager on /run/user/UID/bus, or starts one; false (with the reason printed) if it cannot. */
    boolean ensureUserManager() throws InterruptedException {
        if (userManagerRunning()) {
            say("reusing the systemd user manager on " + bus());
            return true;
        }
        try {
            Path marker = Path.of("/run/systemd/system");
            if (!Files.isDirectory(marker)) {
                Files.createDirectories(marker); // the marker systemd checks before it agrees to run
                createdMarker = true;
            }
            Files.createDirectories(runtimeDir);
            Files.setPosixFilePermissions(runtimeDir, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
            Path log = Files.createTempFile("ferry-demo-systemd", ".log");
            userManagerPid = Optional.of(spawn(List.of("setsid", "/lib/systemd/systemd", "--user"), log,
                    Map.of("XDG_RUNTIME_DIR", runtimeDir.toString())));
            for (int i = 0; i < 100 && !userManagerRunning(); i++) {
                Thread.sleep(100);
            }
            if (userManagerRunning()) {
                say("started a systemd user manager (pid " + userManagerPid.get() + ", log " + log + ")");
                return true;
            }
            say("the systemd user manager did not come up; see " + log);
        } catch (IOException | ProcessException e) {
            say("cannot start a systemd user manager: " + e.getMessage());
        }
        return false;
    }

    /** Starts Caddy with its admin API on {@code adminPort}, its data in {@code dir}; waits until it answers. */
    long startCaddy(Path dir, int adminPort) throws InterruptedException {
        try {
            Path config = Files.writeString(Files.createDirectories(dir).resolve("caddy.json"),
                    "{\"admin\":{\"listen\":\"127.0.0.1:" + adminPort + "\"}}");
            long pid = spawn(List.of("caddy", "run", "--config", config.toString()), dir.resolve("caddy.log"),
                    Map.of("XDG_DATA_HOME", dir.resolve("data").toString(),
                            "XDG_CONFIG_HOME", dir.resolve("config").toString()));
            caddyPid = Optional.of(pid);
            for (int i = 0; i < 100; i++) {
                if (answers(adminPort)) {
                    return pid;
                }
                Thread.sleep(100);
            }
            throw new IllegalStateException("Caddy did not answer on 127.0.0.1:" + adminPort + "; see "
                    + dir.resolve("caddy.log"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start Caddy", e);
        }
    }

    /** Stops and forgets every unit whose name starts with {@code prefix}, on the user manager only. */
    void stopUnits(String prefix) {
        Map<String, String> env = Map.of("XDG_RUNTIME_DIR", runtimeDir.toString(),
                "DBUS_SESSION_BUS_ADDRESS", bus());
        for (String verb : List.of("stop", "reset-failed")) {
            try {
                runner.run(Command.of("systemctl", "--user", verb, prefix + "*").environment(env).timeout(SHORT));
            } catch (ProcessException e) {
                // Nothing matched (reset-failed with no failed unit), or the manager is gone: nothing to stop.
            }
        }
    }

    /** Stops what this class started: Caddy, then the user manager (only if it started it). */
    void stopStarted() {
        caddyPid.ifPresent(DemoHost::terminate);
        caddyPid = Optional.empty();
        userManagerPid.ifPresent(DemoHost::terminate);
        userManagerPid = Optional.empty();
        if (createdMarker) {
            try {
                Files.deleteIfExists(Path.of("/run/systemd/system"));
            } catch (IOException e) {
                // Not empty (someone else uses it) or gone: leave it.
            }
            createdMarker = false;
        }
    }

    private boolean userManagerRunning() {
        try {
            // `show` exits 0 whatever the state (is-system-running exits 1 for "degraded", which is fine here).
            String state = runner.run(Command.of("systemctl", "--user", "show", "--property=SystemState")
                    .environment(Map.of("XDG_RUNTIME_DIR", runtimeDir.toString())).timeout(SHORT)).stdout().strip();
            return state.equals("SystemState=running") || state.equals("SystemState=degraded");
        } catch (ProcessException e) {
            return false;
        }
    }

    private long spawn(List<String> argv, Path log, Map<String, String> env) {
        List<String> command = new ArrayList<>(List.of("/bin/sh", "-c", SPAWN, "sh", log.toString()));
        command.addAll(argv);
        String pid = runner.run(Command.of(command).environment(env).timeout(SHORT)).stdout().strip();
        return Long.parseLong(pid);
    }

    private static void terminate(long pid) {
        ProcessHandle.of(pid).ifPresent(process -> {
            process.destroy();
            try {
                process.onExit().get(10, java.util.concurrent.TimeUnit.SECONDS);
            } catch (Exception e) {
                process.destroyForcibly();
            }
        });
    }

    private static boolean answers(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static List<String> missing(List<String> programs) {
        return programs.stream().filter(p -> !dev.ferry.process.Programs.onPath(p)).toList();
    }

    private static long uid() {
        try {
            return ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).longValue();
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return -1;
        }
    }

    private void say(String line) {
        out.println("demo: " + line);
        out.flush();
    }
}
