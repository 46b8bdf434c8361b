package dev.ferry.app;

import dev.ferry.builder.BuildContext;
import dev.ferry.builder.BuildFailedException;
import dev.ferry.builder.BuildPipeline;
import dev.ferry.builder.BuildRequest;
import dev.ferry.builder.BuildResult;
import dev.ferry.builder.Phase;
import dev.ferry.builder.Project;
import dev.ferry.builder.TeardownRequest;
import dev.ferry.cache.CacheUri;
import dev.ferry.cache.Compression;
import dev.ferry.server.BuilderSettings;
import dev.ferry.server.FerryServer;
import dev.ferry.server.ServerConfig;
import dev.ferry.webhook.Signatures;
import java.io.IOException;
import java.io.BufferedInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ferry bench webhook}: the response time of {@code POST /webhook} under concurrent signed deliveries.
 * Without {@code --url} the server is started in this JVM through {@link FerryServer#start}, as {@code ferry serve}
 * starts it, with a throwaway data directory and a stand-in pipeline whose builds sleep (so the queue, the database
 * and cancellations are real, nix is not). With {@code --url} it drives a running {@code ferry serve} instead, with
 * deliveries for the project whose clone URL is {@code --clone-url}, signed with {@code --secret-file}; that
 * server's real pipeline then runs the builds (with a clone URL that does not exist, each fails fast in fetch).
 */
@Command(name = "webhook", mixinStandardHelpOptions = true,
        description = {"POST /webhook latency under concurrent signed Gitea push deliveries, against the server "
                + "started in-process with a stand-in pipeline (builds sleep --build-ms).",
                "Each round sends --concurrency deliveries at once (distinct delivery ids, commits, --branches "
                        + "branches). Prints p50/p99/max of the --warmup rounds, then of the --rounds measured after "
                        + "them, and how the builds ended.",
                "With --url, drives a running ferry serve instead (needs --secret-file and --clone-url)."})
final class BenchWebhookCommand implements Callable<Integer> {
    private static final String SECRET = "bench-webhook-secret-0123456789";
    /** Makes delivery ids unique per run, so that runs against one server are not taken for repeated deliveries. */
    private static final String RUN = Long.toString(System.currentTimeMillis(), 36);

    @Option(names = "--concurrency", defaultValue = "50", description = "Deliveries in flight at once (default ${DEFAULT-VALUE}).")
    int concurrency;

    @Option(names = "--rounds", defaultValue = "100", description = "Measured rounds, 1 to 1000 (default ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--warmup", defaultValue = "20", description = "Rounds sent first and reported apart, 1 to 1000: "
            + "the server's first requests after its start (the first round alone: classes load), while the JIT "
            + "compiles (default ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--branches", defaultValue = "10", description = "Branches the pushes spread over (default ${DEFAULT-VALUE}).")
    int branches;

    @Option(names = "--build-ms", defaultValue = "200", description = "How long each stand-in build sleeps (default ${DEFAULT-VALUE}).")
    long buildMillis;

    @Option(names = "--url", description = "A running ferry serve (http://HOST:PORT) to drive instead of an "
            + "in-process server.")
    Optional<java.net.URI> url;

    @Option(names = "--secret-file", description = "With --url: the file holding that server's webhook secret.")
    Optional<Path> secretFile;

    @Option(names = "--clone-url", description = "With --url: the clone URL of the project the pushes are for, as "
            + "in that server's ferry.projects.")
    Optional<String> cloneUrlOption;

    @Override
    public Integer call() throws Exception {
        if (concurrency < 1 || concurrency > 1000 || rounds < 1 || rounds > 1000 || warmup < 1 || warmup > 1000
                || branches < 1) {
            throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
                    "--concurrency 1..1000, --rounds 1..1000, --warmup 1..1000, --branches >= 1");
        }
        if (url.isPresent()) {
            if (secretFile.isEmpty() || cloneUrlOption.isEmpty()) {
                throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
                        "--url needs --secret-file and --clone-url");
            }
            java.net.URI server = url.get();
            if (!"http".equals(server.getScheme()) || server.getHost() == null) {
                throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
                        "--url must be http://HOST:PORT, not " + server);
            }
            String secret = Files.readString(secretFile.get()).strip();
            int failures = measure(server.getHost(), server.getPort() < 0 ? 80 : server.getPort(),
                    cloneUrlOption.get(), secret);
            System.out.println("builds: the server's own pipeline runs them; see GET " + server + "/v1/builds (with "
                    + "its admin token)");
            return failures == 0 ? 0 : 1;
        }
        Path dir = Files.createTempDirectory("ferry-bench-webhook");
        try {
            return run(dir);
        } finally {
            dev.ferry.nix.FileTrees.delete(dir);
        }
    }

    private int run(Path dir) throws Exception {
        Path secret = Files.writeString(dir.resolve("webhook.secret"), SECRET);
        Path data = dir.resolve("data");
        ServerConfig config = new ServerConfig(data, "127.0.0.1", 0, CacheUri.parse(data.resolve("cache").toUri()
                .toString()), data.resolve("keys/cache.sec"), true, Compression.ZSTD, Optional.empty(), 1L << 30);
        String cloneUrl = "https://git.example.org/bench/shop.git";
        BuilderSettings settings = new BuilderSettings(List.of(new BuilderSettings.ConfiguredProject(
                new Project("shop", cloneUrl, "main"), Optional.empty())), Optional.of(secret), 1L << 20,
                Optional.empty(), true, 2, false);
        AtomicInteger released = new AtomicInteger();
        BuildPipeline pipeline = new BuildPipeline() {
            @Override
            public BuildResult build(BuildRequest request, BuildContext context) {
                context.enter(Phase.BUILD);
                try {
                    Thread.sleep(buildMillis);
                } catch (InterruptedException e) {
                    throw new BuildFailedException("killed");
                }
                if (!context.beginRelease()) {
                    throw new BuildFailedException("cancelled");
                }
                released.incrementAndGet();
                return new BuildResult(Map.of(), OptionalLong.empty());
            }

            @Override
            public OptionalLong teardown(TeardownRequest request) {
                return OptionalLong.empty();
            }
        };
        int failures;
        try (FerryServer server = FerryServer.start(config, Optional.of(settings), resources -> pipeline)) {
            failures = measure("127.0.0.1", server.port(), cloneUrl, SECRET);
            Thread.sleep(buildMillis * 3);
            System.out.printf(Locale.ROOT, "builds released: %d of the %d deliveries' builds (the rest superseded "
                    + "while queued or running)%n", released.get(), concurrency * (rounds + warmup));
        }
        return failures == 0 ? 0 : 1;
    }

    /** Sends the rounds of deliveries, prints the figures and returns how many were not answered 202. */
    private int measure(String host, int port, String cloneUrl, String secret) throws Exception {
        List<Double> firstMillis = new ArrayList<>();
        List<Double> warmupMillis = new ArrayList<>();
        List<Double> millis = new ArrayList<>();
        Template template = new Template(cloneUrl);
        int failures = 0;
        Map<Long, Integer> statuses = new java.util.TreeMap<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Connection> connections = new ArrayList<>();
            for (int i = 0; i < concurrency; i++) {
                connections.add(new Connection(host, port));
            }
            int sequence = 0;
            for (int round = 0; round < warmup + rounds; round++) {
                List<Future<long[]>> inFlight = new ArrayList<>();
                for (int i = 0; i < concurrency; i++) {
                    int n = ++sequence;
                    Connection connection = connections.get(i);
                    inFlight.add(pool.submit(() -> deliver(connection, template, secret, n)));
                }
                for (Future<long[]> f : inFlight) {
                    long[] result = f.get();
                    (round == 0 ? firstMillis : round < warmup ? warmupMillis : millis).add(result[0] / 1e6);
                    statuses.merge(result[1], 1, Integer::sum);
                    if (result[1] != 202) {
                        failures++;
                    }
                }
            }
            for (Connection connection : connections) {
                connection.close();
            }
            Collections.sort(firstMillis);
            Collections.sort(warmupMillis);
            Collections.sort(millis);
            System.out.printf(Locale.ROOT, "ferry bench webhook: %d deliveries (%d + %d rounds of %d concurrent, %d "
                            + "branches%s), %d not answered 202 (statuses: %s)%n",
                    firstMillis.size() + warmupMillis.size() + millis.size(), warmup, rounds, concurrency, branches,
                    url.isPresent() ? "" : ", stand-in builds of " + buildMillis + " ms", failures, statuses);
            System.out.printf(Locale.ROOT, "first round        ms: p50 %6.2f  max %6.2f  (the first requests since %s)%n",
                    percentile(firstMillis, 50), firstMillis.getLast(), url.isPresent() ? "this benchmark started"
                            : "the server started");
            if (!warmupMillis.isEmpty()) {
                System.out.printf(Locale.ROOT, "warm-up  (%3d rounds) ms: p50 %6.2f  p90 %6.2f  p99 %6.2f  max %6.2f%n",
                        warmup - 1, percentile(warmupMillis, 50), percentile(warmupMillis, 90),
                        percentile(warmupMillis, 99), warmupMillis.getLast());
            }
            System.out.printf(Locale.ROOT, "measured (%3d rounds) ms: p50 %6.2f  p90 %6.2f  p99 %6.2f  max %6.2f  "
                            + "(target p99 < 50: %s)%n", rounds, percentile(millis, 50), percentile(millis, 90),
                    percentile(millis, 99), millis.getLast(), percentile(millis, 99) < 50 ? "met" : "MISSED");
        }
        return failures;
    }

    /**
     * Sends one delivery on a kept-alive connection, the whole request in one write with TCP_NODELAY, as forges'
     * HTTP clients do (Go's sets no-delay on every connection). The JDK's HttpClient writes a POST's headers and body
     * separately, which with Nagle's algorithm and delayed ACKs adds up to 40 ms that are the client's, not Ferry's.
     */
    private long[] deliver(Connection connection, Template template, String secret, int n) throws IOException {
        byte[] bytes = template.body(n % branches, n);
        String head = "POST /webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "X-Gitea-Event: push\r\nX-Gitea-Delivery: bench-" + RUN + "-" + n + "\r\nX-Gitea-Signature: "
                + Signatures.sign(secret.getBytes(StandardCharsets.UTF_8), bytes) + "\r\nContent-Length: "
                + bytes.length + "\r\n\r\n";
        byte[] request = new byte[head.length() + bytes.length];
        System.arraycopy(head.getBytes(StandardCharsets.US_ASCII), 0, request, 0, head.length());
        System.arraycopy(bytes, 0, request, head.length(), bytes.length);
        long t0 = System.nanoTime();
        int status = connection.exchange(request);
        return new long[] {System.nanoTime() - t0, status};
    }

    /**
     * The push body with its repository filled in once: the client shares the machine with the server, so it does as
     * little per delivery as it can.
     */
    private static final class Template {
        private final String head;
        private final String tail;

        Template(String cloneUrl) {
            head = "{\"ref\": \"refs/heads/b-";
            tail = "\"repository\": {\"full_name\": \"" + fullName(cloneUrl) + "\", \"clone_url\": \"" + cloneUrl
                    + "\", \"html_url\": \"" + cloneUrl.replaceAll("\\.git$", "") + "\"}}\n";
        }

        byte[] body(int branch, int n) {
            String commit = Long.toHexString(n);
            return (head + branch + "\", \"before\": \"" + "0".repeat(40) + "\", \"after\": \""
                    + "0".repeat(40 - commit.length()) + commit + "\",\n " + tail).getBytes(StandardCharsets.UTF_8);
        }
    }

    /** One kept-alive HTTP/1.1 connection: writes a request, reads the status line, headers and body. */
    private static final class Connection implements AutoCloseable {
        private final Socket socket;
        private final InputStream in;
        private final OutputStream out;

        Connection(String host, int port) throws IOException {
            socket = new Socket(host, port);
            socket.setTcpNoDelay(true);
            socket.setSoTimeout(30_000);
            in = new BufferedInputStream(socket.getInputStream());
            out = socket.getOutputStream();
        }

        int exchange(byte[] request) throws IOException {
            out.write(request);
            out.flush();
            String status = line();
            long length = 0;
            for (String header; !(header = line()).isEmpty(); ) {
                if (header.regionMatches(true, 0, "content-length:", 0, 15)) {
                    length = Long.parseLong(header.substring(15).strip());
                }
            }
            in.skipNBytes(length);
            return Integer.parseInt(status.split(" ")[1]);
        }

        private String line() throws IOException {
            StringBuilder line = new StringBuilder();
            for (int c; (c = in.read()) != '\n'; ) {
                if (c < 0) {
                    throw new IOException("connection closed");
                }
                if (c != '\r') {
                    line.append((char) c);
                }
            }
            return line.toString();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    /** {@code owner/name} from a clone URL ({@code https://host/owner/name.git}, {@code file:///x/name.git}). */
    static String fullName(String cloneUrl) {
        String path = cloneUrl.replaceAll("/+$", "").replaceAll("\\.git$", "");
        String[] parts = path.split("[/:]");
        return parts.length >= 2 ? parts[parts.length - 2] + "/" + parts[parts.length - 1] : path;
    }

    private static double percentile(List<Double> sorted, int p) {
        int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
    }
}
