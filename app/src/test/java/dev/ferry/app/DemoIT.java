package dev.ferry.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.testkit.RequiresPrograms;
import dev.ferry.testkit.TestEnv;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code ferry demo} as a user runs it, in its own JVM: it builds, publishes and deploys examples/hello; this test
 * then fetches the page through the demo's Caddy itself, sends SIGTERM (as Ctrl-C would), and checks that no unit
 * with the demo's prefix, no Caddy and no temporary directory are left.
 */
@RequiresPrograms({"nix", "nix-store", "nix-env", "caddy", "systemctl"})
class DemoIT {
    private static final Pattern WORKING = Pattern.compile("working in (\\S+) .*units named (\\S+)\\*");
    private static final Pattern CADDY = Pattern.compile("started Caddy \\(pid (\\d+)\\).*listening on 127\\.0\\.0\\.1:(\\d+)");

    @Test
    void buildsPublishesDeploysAndCleansUpOnSigterm() throws Exception {
        ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-jar", FerryCli.jar().toString(), "demo")
                .redirectErrorStream(true);
        builder.environment().putAll(TestEnv.nixEnvironment());
        builder.environment().put("LC_ALL", "C.UTF-8");
        Process demo = builder.start();
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        List<String> transcript = new ArrayList<>();
        Thread.ofVirtual().start(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(demo.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    lines.add(line);
                }
            } catch (IOException e) {
                lines.add("(reading the demo's output failed: " + e + ")");
            }
        });
        try {
            Path dir = null;
            String prefix = null;
            long caddyPid = -1;
            int listenPort = -1;
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
            while (true) {
                String line = lines.poll(1, TimeUnit.SECONDS);
                assertThat(System.nanoTime()).as("the demo did not get to 'press Ctrl-C' in 5 minutes:%n%s",
                        String.join("\n", transcript)).isLessThan(deadline);
                if (line == null) {
                    assertThat(demo.isAlive()).as("the demo exited (%s):%n%s", demo.isAlive() ? "" : demo.exitValue(),
                            String.join("\n", transcript)).isTrue();
                    continue;
                }
                transcript.add(line);
                Matcher working = WORKING.matcher(line);
                if (working.find()) {
                    dir = Path.of(working.group(1));
                    prefix = working.group(2);
                }
                Matcher caddy = CADDY.matcher(line);
                if (caddy.find()) {
                    caddyPid = Long.parseLong(caddy.group(1));
                    listenPort = Integer.parseInt(caddy.group(2));
                }
                if (line.contains("press Ctrl-C")) {
                    break;
                }
            }
            String all = String.join("\n", transcript);
            assertThat(all).contains("webhook: signed push of main", "accepted (202)", "succeeded", "narinfos in",
                    "answers: hello from hello-web 1.0.0");
            assertThat(dir).isNotNull().isDirectory();
            assertThat(prefix).startsWith("ferry-demo-");
            assertThat(listenPort).isPositive();
            assertThat(units(prefix)).as("units while the demo runs").contains(prefix + "hello-main-web");

            // The page, fetched by this test through the demo's Caddy.
            assertThat(get(listenPort, "hello-main-web.localhost")).contains("200 OK", "hello from hello-web 1.0.0");

            demo.destroy(); // SIGTERM, as Ctrl-C's SIGINT: the shutdown hook cleans up
            assertThat(demo.waitFor(60, TimeUnit.SECONDS)).as("the demo stops within a minute").isTrue();
            System.out.println("DemoIT transcript:\n" + all);
            assertThat(units(prefix)).as("units after the demo").doesNotContain(prefix);
            assertThat(ProcessHandle.of(caddyPid).map(ProcessHandle::isAlive)).as("the demo's Caddy")
                    .isNotEqualTo(java.util.Optional.of(true));
            assertThat(Files.exists(dir)).as("the temporary directory %s", dir).isFalse();
        } finally {
            if (demo.isAlive()) {
                demo.destroyForcibly();
            }
        }
    }

    /**
     * Every unit of the user manager whose name starts with {@code prefix}, loaded in any state. The manager must
     * answer: an empty list from one that is gone would prove nothing.
     */
    private static String units(String prefix) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("systemctl", "--user", "list-units", "--all", "--no-legend",
                "--plain", prefix + "*").redirectError(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put("XDG_RUNTIME_DIR", "/run/user/" + Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("systemctl --user list-units: " + out).isZero();
        return out;
    }

    private static String get(int port, String host) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            socket.setSoTimeout(5000);
            socket.getOutputStream().write(("GET / HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
