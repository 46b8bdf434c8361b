package dev.ferry.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ferry serve} as a process of its own: it starts on its defaults, and refuses a bad setting by name. */
class ServeCommandIT {
    private static final Pattern STARTED = Pattern.compile(
            "ferry: serving (http://127\\.0\\.0\\.1:(\\d+)/cache) from (\\S+), uploads disabled"
                    + "(?:; webhook at \\S+, \\d+ project\\(s\\), state in \\S+)?; trusted public key: (\\S+:\\S+)");

    @TempDir
    Path temp;

    private ProcessBuilder ferry(Map<String, String> environment, String... args) {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> argv = new java.util.ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), "dev.ferry.app.Main"));
        argv.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(argv).directory(temp.toFile());
        // Only the data directory is set: as root the default would be /var/lib/ferry, which a test must not touch.
        builder.environment().keySet().removeIf(name -> name.startsWith("FERRY_"));
        builder.environment().putAll(environment);
        return builder;
    }

    @Test
    void startsOnItsDefaultsAndPrintsWhereItListensAndTheKeyToTrust() throws Exception {
        Process process = ferry(Map.of("FERRY_DATA_DIR", temp.resolve("data").toString(), "FERRY_SERVER_PORT", "0"),
                "serve").redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            // On the test class path (not in the packaged jar) logback prints its status first.
            String line = firstLineStarting(out, "ferry:");
            Matcher started = STARTED.matcher(line);
            assertThat(started.matches()).as(line).isTrue();
            assertThat(started.group(3)).isEqualTo("file://" + temp.resolve("data/cache"));

            Path secret = temp.resolve("data/keys/cache-secret.key");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(secret))).isEqualTo("rw-------");
            assertThat(Files.readString(temp.resolve("data/keys/cache-public.key"))).isEqualTo(started.group(4));

            HttpResponse<String> info = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create(started.group(1) + "/nix-cache-info")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(info.statusCode()).isEqualTo(200);
            assertThat(info.body()).startsWith("StoreDir: /nix/store\n");
        } finally {
            process.destroy();
            assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("ferry serve stops on SIGTERM").isTrue();
        }
    }

    @Test
    void aPortAnotherProgramHoldsIsRefusedInOneLineAndServeExits() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 50,
                java.net.InetAddress.getLoopbackAddress())) {
            Process process = ferry(Map.of("FERRY_DATA_DIR", temp.resolve("data").toString(), "FERRY_SERVER_PORT",
                    Integer.toString(taken.getLocalPort())), "serve").start();
            assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("ferry serve exits").isTrue();
            String stdout = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            String stderr = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(process.exitValue()).isEqualTo(1);
            assertThat(stdout).doesNotContain("serving");
            assertThat(stderr).contains("ferry.server.port: cannot listen on 127.0.0.1:" + taken.getLocalPort()
                    + ": the address is in use (another program listens there; stop it, or choose another port)")
                    .doesNotContain("BindException");
            // Refused before the database is opened and builds are recovered.
            assertThat(temp.resolve("data/ferry.db")).doesNotExist();
            assertThat(temp.resolve("data/keys")).doesNotExist();
        }
    }

    @Test
    void aSecondServerOfTheSameDataDirectoryIsRefusedWhateverItsPort() throws Exception {
        Map<String, String> env = Map.of("FERRY_DATA_DIR", temp.resolve("data").toString(), "FERRY_SERVER_PORT", "0");
        Process first = ferry(env, "serve").redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(first.getInputStream(),
                    StandardCharsets.UTF_8));
            String line = firstLineStarting(out, "ferry: serving");
            assertThat(line).startsWith("ferry: serving");

            Process second = ferry(env, "serve").start();
            assertThat(second.waitFor(60, TimeUnit.SECONDS)).as("the second ferry serve exits").isTrue();
            String stderr = new String(second.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(second.exitValue()).isEqualTo(1);
            assertThat(stderr).contains("ferry.data-dir: " + temp.resolve("data") + " is in use by another ferry "
                    + "serve (pid " + first.pid() + "): stop it, or give this one a ferry.data-dir of its own");
        } finally {
            first.destroy();
            assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void aSecretFileThatCannotBeReadStopsTheStartBeforeAnythingIsCreated() throws Exception {
        Path config = Files.writeString(temp.resolve("ferry.yaml"), "ferry:\n  webhook:\n    secret-file: "
                + temp.resolve("missing.secret") + "\n");
        Process process = ferry(Map.of("FERRY_DATA_DIR", temp.resolve("data").toString(), "FERRY_SERVER_PORT", "0"),
                "serve", "--config", config.toString()).start();
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String stderr = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.exitValue()).isEqualTo(1);
        assertThat(stderr).contains("ferry.webhook.secret-file: " + temp.resolve("missing.secret"));
        assertThat(temp.resolve("data")).doesNotExist();
    }

    @Test
    void refusesAnInvalidConfigurationNamingTheKey() throws Exception {
        Path config = Files.writeString(temp.resolve("ferry.yaml"), "ferry:\n  server:\n    port: eighty\n");
        Process process = ferry(Map.of("FERRY_DATA_DIR", temp.resolve("data").toString()),
                "serve", "--config", config.toString()).start();
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String stderr = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.exitValue()).isEqualTo(1);
        assertThat(stderr.strip()).endsWith("ferry.server.port: 'eighty' is not a port number "
                + "(0 to 65535; 0 picks a free port)\nferry: the configuration has 1 problem");
        assertThat(temp.resolve("data")).doesNotExist();
    }

    @Test
    void checkConfigReportsEveryProblemAndServeRefusesTheSame() throws Exception {
        Path config = Files.writeString(temp.resolve("ferry.yaml"), """
                ferry:
                  colour: blue
                  server: {port: eighty}
                  deployer: {reconcile-interval: soon, enabld: true}
                  log: {format: xml}
                """);
        String expected = String.join("\n",
                "ferry.colour: unknown setting (known in ferry: data-dir, server, cache, webhook, "
                        + "admin-token-file, api, builder, domains, deployer, log, projects)",
                "ferry.deployer.enabld: unknown setting (known in ferry.deployer: enabled, manifest-uri, host, "
                        + "trusted-keys, substituters, profiles-dir, keep-generations, state-dir, systemd-bus, "
                        + "unit-prefix, port-range, caddy-admin-url, caddy-listen, poll-interval, reconcile-interval, "
                        + "report-token-file)",
                "ferry.server.port: 'eighty' is not a port number (0 to 65535; 0 picks a free port)",
                "ferry.deployer.reconcile-interval: 'soon' is not a duration (e.g. 30s, 500ms, 2m)",
                "ferry.log.format: 'xml' is not text or json",
                "ferry: the configuration has 5 problems");
        for (List<String> args : List.of(List.of("check-config", "--config", config.toString()),
                List.of("serve", "--config", config.toString()))) {
            Process process = ferry(Map.of("FERRY_DATA_DIR", temp.resolve("data").toString(), "FERRY_SERVER_PORT",
                    "0"), args.toArray(String[]::new)).start();
            assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
            String stderr = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(process.exitValue()).as(args + ": " + stderr).isEqualTo(1);
            // FERRY_SERVER_PORT=0 wins over the file's 'eighty': variables first, as ferry serve reads them.
            assertThat(stderr.strip()).as(String.valueOf(args)).endsWith(expected.replace(
                    "ferry.server.port: 'eighty' is not a port number (0 to 65535; 0 picks a free port)\n", "")
                    .replace("5 problems", "4 problems"));
            assertThat(temp.resolve("data")).doesNotExist();
        }
        Path good = Files.writeString(temp.resolve("good.yaml"), "ferry:\n  server: {port: 9999}\n  log: {format: json}\n");
        Process ok = ferry(Map.of("FERRY_DATA_DIR", temp.resolve("data").toString()),
                "check-config", "--config", good.toString()).start();
        assertThat(ok.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String stdout = new String(ok.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(ok.exitValue()).isZero();
        assertThat(stdout.strip()).isEqualTo("ferry: configuration is valid (cache file://" + temp.resolve("data/cache")
                + ", listening on 127.0.0.1:9999, 0 project(s), deployer disabled, logs json)");
    }

    @Test
    void checkConfigValidatesWithoutStarting() throws Exception {
        Path config = Files.writeString(temp.resolve("ferry.yaml"), "ferry:\n  server:\n    port: 9999\n");
        Process process = ferry(Map.of("FERRY_DATA_DIR", temp.resolve("data").toString()),
                "serve", "--config", config.toString(), "--check-config").start();
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String stdout = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.exitValue()).isZero();
        assertThat(stdout).startsWith("ferry: configuration is valid");
        assertThat(temp.resolve("data")).doesNotExist();
    }

    /** The first line of {@code out} that starts with {@code prefix} (null at its end), waiting at most 60 s. */
    private static String firstLineStarting(BufferedReader out, String prefix) throws Exception {
        return CompletableFuture.supplyAsync(() -> {
            try {
                String line = out.readLine();
                while (line != null && !line.startsWith(prefix)) {
                    line = out.readLine();
                }
                return line;
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }).get(60, TimeUnit.SECONDS);
    }
}
