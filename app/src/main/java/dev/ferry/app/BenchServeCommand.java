package dev.ferry.app;

import dev.ferry.cache.CacheUri;
import dev.ferry.cache.Compression;
import dev.ferry.nix.Nix32;
import dev.ferry.nix.StorePath;
import dev.ferry.process.Command;
import dev.ferry.process.ProcessRunner;
import dev.ferry.server.FerryServer;
import dev.ferry.server.ServerConfig;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ferry bench substitute} and {@code ferry bench narinfo-load}: {@code ferry serve} against Caddy's
 * {@code file_server} over the same directory cache. Ferry runs inside this JVM through {@link FerryServer#start}, as
 * {@code ferry serve} starts it; Caddy is a child process. The clients ({@code nix}, {@code curl}, {@code wrk}) are
 * separate processes, so neither server shares a process with its load. Only 127.0.0.1 is contacted, every loop is
 * bounded in rounds and seconds, and only the Caddy process started here is stopped at the end.
 */
final class BenchServeCommand {
    private BenchServeCommand() {
    }

    @picocli.CommandLine.Command(name = "substitute", mixinStandardHelpOptions = true,
            description = {"Substituting from `ferry serve` against Caddy's file_server over the same directory "
                    + "cache: `nix copy --from http://127.0.0.1:PORT/cache --to local?root=FRESH PATH...`, "
                    + "alternating, each nix call with a fresh store and a fresh XDG_CACHE_HOME.",
                    "Also times `curl` fetching the closure's NAR files alone, to separate the servers' share from "
                            + "Nix's unpacking. Publish first: `ferry publish --to file://DIR --secret-key KEY PATH`."})
    static final class Substitute implements Callable<Integer> {
        @Parameters(paramLabel = "PATH", arity = "1..*", description = "Store paths whose closures DIR holds.")
        List<String> paths;

        @Option(names = "--cache", paramLabel = "DIR", required = true,
                description = "The directory cache (as made by ferry publish --to file://DIR).")
        Path cache;

        @Option(names = "--public-key", paramLabel = "FILE", required = true,
                description = "Public key the narinfos are signed with (trusted-public-keys for nix).")
        Path publicKey;

        @Option(names = "--rounds", defaultValue = "5", description = "Measured rounds, 1 to 50 (default ${DEFAULT-VALUE}).")
        int rounds;

        @Option(names = "--nix", defaultValue = "nix", description = "The nix program (default ${DEFAULT-VALUE}).")
        String nix;

        @Option(names = "--caddy", defaultValue = "caddy", description = "The caddy program (default ${DEFAULT-VALUE}).")
        String caddy;

        @Option(names = "--curl", defaultValue = "curl", description = "The curl program (default ${DEFAULT-VALUE}).")
        String curl;

        @Override
        public Integer call() throws Exception {
            if (rounds < 1 || rounds > 50) {
                throw new IllegalArgumentException("--rounds must be 1 to 50");
            }
            Path dir = cache.toAbsolutePath().normalize();
            String key = Files.readString(publicKey, StandardCharsets.US_ASCII).strip();
            List<StorePath> roots = paths.stream().map(StorePath::parse).toList();
            Closure closure = Closure.read(dir, roots);
            Path work = Files.createTempDirectory("ferry-bench-serve-");
            try (Servers servers = Servers.start(dir, work, caddy)) {
                servers.check("nix-cache-info", closure.narinfoKeys().getFirst());
                Map<String, List<Long>> copyNanos = new LinkedHashMap<>();
                Map<String, List<Long>> fetchNanos = new LinkedHashMap<>();
                for (String name : servers.names()) {
                    copyNanos.put(name, new ArrayList<>());
                    fetchNanos.put(name, new ArrayList<>());
                }
                for (int i = -1; i < rounds; i++) { // round -1 warms the page cache and the JIT and is not counted
                    List<String> order = new ArrayList<>(servers.names());
                    if ((i & 1) != 0) {
                        Collections.reverse(order); // swap who goes first each round
                    }
                    StringBuilder progress = new StringBuilder(i < 0 ? "warm-up:" : "round " + (i + 1) + "/" + rounds + ":");
                    for (String name : order) {
                        long copy = copy(servers.url(name), work.resolve(name + "-" + i), key, closure);
                        long fetch = fetch(work.resolve("curl.out"), servers.url(name), closure);
                        if (i >= 0) {
                            copyNanos.get(name).add(copy);
                            fetchNanos.get(name).add(fetch);
                        }
                        progress.append(String.format(Locale.ROOT, " %s %.3f s (curl %.3f s)", name, copy / 1e9, fetch / 1e9));
                    }
                    System.err.println(progress);
                }

                System.out.printf(Locale.ROOT, "substitute %s: closure of %d paths, NAR %.1f MB, download %.1f MB%n",
                        paths, closure.paths().size(), closure.narSize() / 1e6, closure.fileSize() / 1e6);
                servers.describe();
                System.out.printf(Locale.ROOT, "rounds: %d, alternating (order swapped each round), 1 warm-up round not "
                        + "counted, medians%n", rounds);
                double ferry = BenchCommand.median(copyNanos.get(FERRY)) / 1e9;
                double caddyTime = BenchCommand.median(copyNanos.get(CADDY)) / 1e9;
                System.out.printf(Locale.ROOT, "nix copy --from ferry: %7.3f s  rounds: %s%n", ferry, seconds(copyNanos.get(FERRY)));
                System.out.printf(Locale.ROOT, "nix copy --from caddy: %7.3f s  rounds: %s%n", caddyTime, seconds(copyNanos.get(CADDY)));
                double ratio = ferry / caddyTime;
                System.out.printf(Locale.ROOT, "ratio ferry/caddy:     %7.2fx  (target <= 1.15x: %s)%n", ratio,
                        ratio <= 1.15 ? "met" : "MISSED");
                double ferryFetch = BenchCommand.median(fetchNanos.get(FERRY)) / 1e9;
                double caddyFetch = BenchCommand.median(fetchNanos.get(CADDY)) / 1e9;
                System.out.printf(Locale.ROOT, "curl the NARs, ferry:  %7.3f s  %7.0f MB/s  rounds: %s%n", ferryFetch,
                        closure.fileSize() / 1e6 / ferryFetch, seconds(fetchNanos.get(FERRY)));
                System.out.printf(Locale.ROOT, "curl the NARs, caddy:  %7.3f s  %7.0f MB/s  rounds: %s%n", caddyFetch,
                        closure.fileSize() / 1e6 / caddyFetch, seconds(fetchNanos.get(CADDY)));
                System.out.printf(Locale.ROOT, "ratio ferry/caddy:     %7.2fx  (transfer alone; the rest of nix copy is "
                        + "Nix decompressing, unpacking and registering)%n", ferryFetch / caddyFetch);
                return 0;
            } finally {
                dev.ferry.nix.FileTrees.delete(work);
            }
        }

        /** One {@code nix copy --from URL} into a fresh store with a fresh narinfo cache; the nanoseconds it took. */
        private long copy(String url, Path scratch, String key, Closure closure) throws IOException, InterruptedException {
            Path store = scratch.resolve("store");
            Path xdgCache = scratch.resolve("xdg-cache");
            Files.createDirectories(xdgCache);
            List<String> argv = new ArrayList<>(List.of(nix, "--extra-experimental-features", "nix-command", "copy",
                    "--from", url, "--to", "local?root=" + store, "--option", "trusted-public-keys", key));
            argv.addAll(paths);
            try {
                long t0 = System.nanoTime();
                runQuietly(argv, Map.of("XDG_CACHE_HOME", xdgCache.toString()), Duration.ofMinutes(10),
                        scratch.resolve("nix.out"));
                long elapsed = System.nanoTime() - t0;
                for (StorePath path : closure.paths()) {
                    if (!Files.exists(store.resolve("nix/store").resolve(path.baseName()), LinkOption.NOFOLLOW_LINKS)) {
                        throw new IllegalStateException("nix copy --from " + url + " did not produce " + path);
                    }
                }
                return elapsed;
            } finally {
                dev.ferry.nix.FileTrees.delete(scratch);
            }
        }

        /** {@code curl} fetching every NAR file of the closure over one connection, to /dev/null. */
        private long fetch(Path out, String url, Closure closure) throws IOException, InterruptedException {
            List<String> argv = new ArrayList<>(List.of(curl, "--silent", "--show-error", "--fail", "--max-time", "300"));
            for (String nar : closure.narKeys()) {
                argv.addAll(List.of("--output", "/dev/null", url + "/" + nar));
            }
            long t0 = System.nanoTime();
            runQuietly(argv, Map.of(), Duration.ofMinutes(6), out);
            return System.nanoTime() - t0;
        }
    }

    @picocli.CommandLine.Command(name = "narinfo-load", mixinStandardHelpOptions = true,
            description = {"narinfo lookups under load, `ferry serve` against Caddy's file_server over the same "
                    + "directory cache: wrk (a separate C process) sends GETs for a shuffled mix of the cache's "
                    + "narinfos and missing hashes, for a fixed time, with each connection count; requests/s and "
                    + "p50/p99 latency, alternating."})
    static final class NarinfoLoad implements Callable<Integer> {
        @Option(names = "--cache", paramLabel = "DIR", required = true,
                description = "The directory cache (as made by ferry publish --to file://DIR).")
        Path cache;

        @Option(names = "--connections", split = ",", defaultValue = "1,16",
                description = "Connection counts, 1 to 256 each (default ${DEFAULT-VALUE}).")
        List<Integer> connections;

        @Option(names = "--duration", defaultValue = "5", description = "Seconds per measurement, 1 to 60 (default ${DEFAULT-VALUE}).")
        int duration;

        @Option(names = "--warmup", defaultValue = "10", description = "Seconds of unmeasured load per server first, 0 to 60 "
                + "(default ${DEFAULT-VALUE}).")
        int warmup;

        @Option(names = "--rounds", defaultValue = "3", description = "Measurements per server and connection count, 1 to 20 "
                + "(default ${DEFAULT-VALUE}).")
        int rounds;

        @Option(names = "--missing", defaultValue = "0.5", description = "Share of requests for missing hashes, 0 to 1 "
                + "(default ${DEFAULT-VALUE}).")
        double missing;

        @Option(names = "--threads", defaultValue = "1", description = "wrk threads, at most the connections "
                + "(default ${DEFAULT-VALUE}; the machine's cores are shared with the servers).")
        int threads;

        @Option(names = "--wrk", defaultValue = "wrk", description = "The wrk program (default ${DEFAULT-VALUE}).")
        String wrk;

        @Option(names = "--caddy", defaultValue = "caddy", description = "The caddy program (default ${DEFAULT-VALUE}).")
        String caddy;

        @Option(names = "--via-process-runner", description = {"Run wrk through Ferry's ProcessRunner, whose pump "
                + "threads read its output in this JVM while the server serves (as Ferry runs nix for builds and "
                + "publishing), instead of with its output in a file. Shows the effect of those reads on the server."})
        boolean viaProcessRunner;

        @Override
        public Integer call() throws Exception {
            if (rounds < 1 || rounds > 20 || duration < 1 || duration > 60 || warmup < 0 || warmup > 60
                    || missing < 0 || missing > 1 || threads < 1 || threads > 64 || connections.isEmpty()
                    || connections.stream().anyMatch(c -> c < 1 || c > 256)) {
                throw new IllegalArgumentException("out of range: --rounds 1..20, --duration 1..60, --warmup 0..60, "
                        + "--missing 0..1, --threads 1..64, --connections 1..256 each");
            }
            Path dir = cache.toAbsolutePath().normalize();
            List<String> existing = narinfoKeys(dir);
            if (existing.isEmpty()) {
                throw new IllegalStateException(dir + " holds no narinfo: publish a closure into it first");
            }
            Path work = Files.createTempDirectory("ferry-bench-narinfo-");
            try (Servers servers = Servers.start(dir, work, caddy)) {
                Path script = work.resolve("narinfo.lua");
                Files.writeString(script, WRK_SCRIPT);
                List<String> requests = requestMix(existing, 1000, missing, new Random(42));
                Path requestFile = work.resolve("requests.txt");
                Files.write(requestFile, requests.stream().map(k -> "/cache/" + k).toList());
                String missingProbe = requests.stream().filter(k -> !existing.contains(k)).findFirst()
                        .orElse(missingHash(new Random(7), Set.copyOf(existing)) + ".narinfo");
                servers.check(existing.getFirst(), missingProbe);

                Map<String, Map<Integer, List<WrkResult>>> results = new LinkedHashMap<>();
                int most = Collections.max(connections);
                for (String name : servers.names()) {
                    results.put(name, new LinkedHashMap<>());
                    connections.forEach(c -> results.get(name).put(c, new ArrayList<>()));
                    if (warmup > 0) {
                        WrkResult w = runWrk(work, servers.base(name), script, requestFile, most, warmup);
                        System.err.printf(Locale.ROOT, "warm-up %s, %d connections: %s%n", name, most, w.summary());
                    }
                }
                for (int i = 0; i < rounds; i++) {
                    for (int c : connections) {
                        List<String> order = new ArrayList<>(servers.names());
                        if ((i & 1) != 0) {
                            Collections.reverse(order);
                        }
                        for (String name : order) {
                            WrkResult r = runWrk(work, servers.base(name), script, requestFile, c, duration);
                            results.get(name).get(c).add(r);
                            System.err.printf(Locale.ROOT, "round %d/%d, %s, %d connections: %s%n", i + 1, rounds, name,
                                    c, r.summary());
                        }
                    }
                }

                Set<String> known = Set.copyOf(existing);
                Set<String> distinct = new LinkedHashSet<>(requests);
                long distinctExisting = distinct.stream().filter(known::contains).count();
                long missingCount = requests.stream().filter(k -> !known.contains(k)).count();
                System.out.printf(Locale.ROOT, "narinfo-load: %d requests cycled (%d distinct: %d existing narinfos, %d "
                                + "missing hashes; %.0f%% of requests missing), GET, keep-alive%n", requests.size(),
                        distinct.size(), distinctExisting, distinct.size() - distinctExisting,
                        100.0 * missingCount / requests.size());
                servers.describe();
                System.out.printf(Locale.ROOT, "load: %s (a separate process, C and epoll), %d thread(s), closed loop, "
                        + "%s%n", firstLine(wrk, "-v"), threads, viaProcessRunner
                        ? "run through ProcessRunner (its threads read wrk's output in the server's JVM)"
                        : "its output to a file");
                System.out.printf(Locale.ROOT, "rounds: %d x %d s per server and connection count, alternating (order "
                        + "swapped each round), after %d s warm-up each; medians%n", rounds, duration, warmup);
                System.out.printf(Locale.ROOT, "%-11s %-6s %10s %9s %9s %9s %7s%n", "connections", "server", "req/s",
                        "p50 ms", "p99 ms", "max ms", "errors");
                for (int c : connections) {
                    for (String name : servers.names()) {
                        List<WrkResult> rs = results.get(name).get(c);
                        System.out.printf(Locale.ROOT, "%-11d %-6s %10.0f %9.3f %9.3f %9.3f %7d%n", c, name,
                                medianOf(rs, WrkResult::requestsPerSecond), medianOf(rs, r -> r.p50Micros() / 1e3),
                                medianOf(rs, r -> r.p99Micros() / 1e3), medianOf(rs, r -> r.maxMicros() / 1e3),
                                rs.stream().mapToLong(WrkResult::socketErrors).sum());
                    }
                    double ratio = medianOf(results.get(FERRY).get(c), WrkResult::requestsPerSecond)
                            / medianOf(results.get(CADDY).get(c), WrkResult::requestsPerSecond);
                    double p99 = medianOf(results.get(FERRY).get(c), r -> r.p99Micros() / 1e3);
                    System.out.printf(Locale.ROOT, "%-11d ratio ferry/caddy %.2fx (target >= 0.5x: %s); ferry p99 %.3f ms "
                            + "(target < 10 ms: %s)%n", c, ratio, ratio >= 0.5 ? "met" : "MISSED", p99,
                            p99 < 10 ? "met" : "MISSED");
                }
                System.out.println("per round req/s: " + results.entrySet().stream().map(e -> e.getKey() + " "
                        + e.getValue().entrySet().stream().map(c -> "c" + c.getKey() + "=" + c.getValue().stream()
                                .map(r -> String.format(Locale.ROOT, "%.0f", r.requestsPerSecond())).toList())
                        .toList()).toList());
                return 0;
            } finally {
                dev.ferry.nix.FileTrees.delete(work);
            }
        }

        private WrkResult runWrk(Path work, String base, Path script, Path requestFile, int conns, int seconds)
                throws IOException, InterruptedException {
            List<String> argv = List.of(wrk, "--threads", String.valueOf(Math.min(threads, conns)),
                    "--connections", String.valueOf(conns), "--duration", seconds + "s", "--timeout", "5s",
                    "--script", script.toString(), base, "--", requestFile.toString());
            Duration timeout = Duration.ofSeconds(seconds + 60L);
            if (viaProcessRunner) {
                return WrkResult.parse(ProcessRunner.local().run(Command.of(argv).timeout(timeout)).stdout());
            }
            return WrkResult.parse(runQuietly(argv, Map.of(), timeout, work.resolve("wrk.out")));
        }

        /** {@code size} narinfo keys: the missing share are distinct random hashes, the rest cycle the existing ones; shuffled. */
        static List<String> requestMix(List<String> existing, int size, double missingShare, Random random) {
            Set<String> known = Set.copyOf(existing);
            int missingCount = (int) Math.round(size * missingShare);
            List<String> keys = new ArrayList<>(size);
            for (int i = 0; i < size - missingCount; i++) {
                keys.add(existing.get(i % existing.size()));
            }
            for (int i = 0; i < missingCount; i++) {
                keys.add(missingHash(random, known) + ".narinfo");
            }
            Collections.shuffle(keys, random);
            return keys;
        }

        private static String missingHash(Random random, Set<String> known) {
            while (true) { // a collision with a real hash has probability 2^-160 per draw
                byte[] bytes = new byte[20];
                random.nextBytes(bytes);
                String hash = Nix32.encode(bytes);
                if (!known.contains(hash + ".narinfo")) {
                    return hash;
                }
            }
        }

        private static double medianOf(List<WrkResult> results, java.util.function.ToDoubleFunction<WrkResult> f) {
            double[] values = results.stream().mapToDouble(f).sorted().toArray();
            int n = values.length;
            return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
        }
    }

    /**
     * The wrk script: {@code init} reads the request paths (one per line) from the file named after {@code --} and
     * pre-formats each request; {@code request} cycles through them per thread; {@code done} prints one line for
     * {@link WrkResult#parse}.
     */
    static final String WRK_SCRIPT = """
            local requests = {}
            local i = 0
            function init(args)
              local f = assert(io.open(args[1], "r"))
              for line in f:lines() do
                requests[#requests + 1] = wrk.format("GET", line)
              end
              f:close()
            end
            function request()
              i = i % #requests + 1
              return requests[i]
            end
            function done(summary, latency, requests)
              local e = summary.errors
              io.write(string.format("FERRY-BENCH requests=%d duration_us=%d connect=%d read=%d write=%d status=%d "
                .. "timeout=%d p50_us=%d p99_us=%d max_us=%d\\n", summary.requests, summary.duration, e.connect, e.read,
                e.write, e.status, e.timeout, latency:percentile(50), latency:percentile(99), latency.max))
            end
            """;

    /** One wrk run, from the line {@link #WRK_SCRIPT} prints. {@code statusErrors} counts non-2xx/3xx answers (the 404s). */
    record WrkResult(long requests, long durationMicros, long socketErrors, long statusErrors, long p50Micros,
                     long p99Micros, long maxMicros) {
        static WrkResult parse(String output) {
            String line = output.lines().filter(l -> l.startsWith("FERRY-BENCH ")).findFirst()
                    .orElseThrow(() -> new IllegalStateException("wrk printed no result line:\n" + output));
            Map<String, Long> v = new LinkedHashMap<>();
            for (String field : line.substring("FERRY-BENCH ".length()).split(" ")) {
                int eq = field.indexOf('=');
                v.put(field.substring(0, eq), Long.parseLong(field.substring(eq + 1)));
            }
            return new WrkResult(v.get("requests"), v.get("duration_us"),
                    v.get("connect") + v.get("read") + v.get("write") + v.get("timeout"), v.get("status"),
                    v.get("p50_us"), v.get("p99_us"), v.get("max_us"));
        }

        double requestsPerSecond() {
            return requests / (durationMicros / 1e6);
        }

        String summary() {
            return String.format(Locale.ROOT, "%.0f req/s, p50 %.3f ms, p99 %.3f ms, %.1f%% 404, %d socket errors",
                    requestsPerSecond(), p50Micros / 1e3, p99Micros / 1e3, 100.0 * statusErrors / Math.max(1, requests),
                    socketErrors);
        }
    }

    static final String FERRY = "ferry";
    static final String CADDY = "caddy";

    /** The two servers over one directory, both at {@code http://127.0.0.1:PORT/cache}. */
    static final class Servers implements AutoCloseable {
        private final FerryServer ferry;
        private final Process caddy;
        private final int caddyPort;
        private final String caddyVersion;
        private final Path caddyLog;
        private final Thread cleanup;

        private Servers(FerryServer ferry, Process caddy, int caddyPort, String caddyVersion, Path caddyLog, Thread cleanup) {
            this.ferry = ferry;
            this.caddy = caddy;
            this.caddyPort = caddyPort;
            this.caddyVersion = caddyVersion;
            this.caddyLog = caddyLog;
            this.cleanup = cleanup;
        }

        static Servers start(Path dir, Path work, String caddyProgram) throws IOException, InterruptedException {
            if (!Files.isRegularFile(dir.resolve("nix-cache-info"))) {
                throw new IllegalStateException(dir + " is not a binary cache (no nix-cache-info): publish into it first");
            }
            String caddyVersion = firstLine(caddyProgram, "version");
            // ferry serve, as ServeCommand starts it; a throwaway signing key (nothing is uploaded), no upload token.
            Path data = work.resolve("ferry-data");
            FerryServer ferry = FerryServer.start(new ServerConfig(data, "127.0.0.1", 0, CacheUri.parse("file://" + dir),
                    data.resolve("keys").resolve("cache-secret.key"), true, Compression.ZSTD, Optional.empty(), 32L << 30));
            try {
                int[] ports = freePorts(2);
                Path config = work.resolve("caddy.json");
                Files.writeString(config, caddyConfig(dir, ports[0], ports[1]));
                Path log = work.resolve("caddy.log");
                ProcessBuilder builder = new ProcessBuilder(caddyProgram, "run", "--config", config.toString())
                        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                        .redirectErrorStream(true)
                        .redirectOutput(log.toFile());
                builder.environment().put("XDG_DATA_HOME", work.resolve("caddy-data").toString());
                builder.environment().put("XDG_CONFIG_HOME", work.resolve("caddy-config").toString());
                Process caddy = builder.start();
                Thread cleanup = new Thread(caddy::destroy, "bench-stop-caddy"); // Ctrl-C: stop our Caddy too
                Runtime.getRuntime().addShutdownHook(cleanup);
                Servers servers = new Servers(ferry, caddy, ports[0], caddyVersion, log, cleanup);
                try {
                    servers.awaitCaddy();
                } catch (RuntimeException | InterruptedException e) {
                    servers.close();
                    throw e;
                }
                return servers;
            } catch (RuntimeException | IOException e) {
                ferry.close();
                throw e;
            }
        }

        /**
         * Caddy's JSON config: admin API and server on loopback ports; {@code /cache/*} stripped of the prefix and
         * served by {@code file_server} from {@code dir}. No content types are set: Nix does not look at them.
         */
        static String caddyConfig(Path dir, int port, int adminPort) {
            return """
                    {"admin": {"listen": "127.0.0.1:%d"},
                     "logging": {"logs": {"default": {"level": "ERROR"}}},
                     "apps": {"http": {"servers": {"bench": {
                       "listen": ["127.0.0.1:%d"],
                       "automatic_https": {"disable": true},
                       "routes": [{"match": [{"path": ["/cache/*"]}],
                                   "handle": [{"handler": "rewrite", "strip_path_prefix": "/cache"},
                                              {"handler": "file_server", "root": %s}]}]}}}}}
                    """.formatted(adminPort, port, jsonString(dir.toString()));
        }

        private void awaitCaddy() throws InterruptedException {
            HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            while (System.nanoTime() < deadline) {
                if (!caddy.isAlive()) {
                    throw new IllegalStateException("caddy exited with " + caddy.exitValue() + ":\n" + logTail());
                }
                try {
                    HttpResponse<Void> r = client.send(HttpRequest.newBuilder(URI.create(url(CADDY) + "/nix-cache-info"))
                            .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding());
                    if (r.statusCode() == 200) {
                        return;
                    }
                } catch (IOException e) {
                    // not listening yet
                }
                Thread.sleep(50);
            }
            throw new IllegalStateException("caddy did not answer within 15 s:\n" + logTail());
        }

        private String logTail() {
            return tail(caddyLog);
        }

        List<String> names() {
            return List.of(FERRY, CADDY);
        }

        /** The substituter URL, {@code http://127.0.0.1:PORT/cache}. */
        String url(String name) {
            return base(name) + "/cache";
        }

        String base(String name) {
            return FERRY.equals(name) ? ferry.url() : "http://127.0.0.1:" + caddyPort;
        }

        void describe() {
            System.out.println("servers: ferry serve (in this JVM, " + Runtime.version() + ") " + url(FERRY) + "; "
                    + caddyVersion + " file_server (child process) " + url(CADDY));
        }

        /**
         * Before measuring: each key answers the same status and body from both servers (else the comparison is
         * meaningless). Prints what differs in the headers, for the record.
         */
        void check(String... keys) throws IOException, InterruptedException {
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            for (String key : keys) {
                Map<String, HttpResponse<byte[]>> answers = new LinkedHashMap<>();
                for (String name : names()) {
                    answers.put(name, client.send(HttpRequest.newBuilder(URI.create(url(name) + "/" + key))
                            .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofByteArray()));
                }
                HttpResponse<byte[]> f = answers.get(FERRY);
                HttpResponse<byte[]> c = answers.get(CADDY);
                boolean found = f.statusCode() == 200;
                if (f.statusCode() != c.statusCode() || (found && !java.util.Arrays.equals(f.body(), c.body()))) {
                    throw new IllegalStateException("the servers disagree on " + key + ": ferry " + f.statusCode()
                            + ", caddy " + c.statusCode());
                }
                System.err.printf(Locale.ROOT, "check %s: both %d%s; content type ferry %s, caddy %s%n", key,
                        f.statusCode(), found ? ", same " + f.body().length + " bytes" : "",
                        f.headers().firstValue("content-type").orElse("(none)"),
                        c.headers().firstValue("content-type").orElse("(none)"));
            }
        }

        /** Stops Caddy (SIGTERM, then SIGKILL after 10 s: only the process started here) and the in-process server. */
        @Override
        public void close() {
            try {
                caddy.destroy();
                if (!caddy.waitFor(10, TimeUnit.SECONDS)) {
                    caddy.destroyForcibly();
                    caddy.waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                caddy.destroyForcibly();
                Thread.currentThread().interrupt();
            } finally {
                try {
                    Runtime.getRuntime().removeShutdownHook(cleanup);
                } catch (IllegalStateException e) {
                    // already shutting down: the hook runs anyway
                }
                ferry.close();
            }
        }
    }

    /** A closure as the directory cache describes it: every narinfo reachable from the roots through References. */
    record Closure(List<StorePath> paths, List<String> narinfoKeys, List<String> narKeys, long narSize, long fileSize) {
        static Closure read(Path dir, List<StorePath> roots) throws IOException {
            Map<String, StorePath> seen = new LinkedHashMap<>();
            Deque<StorePath> todo = new ArrayDeque<>(roots);
            List<String> narinfos = new ArrayList<>();
            List<String> nars = new ArrayList<>();
            long narSize = 0;
            long fileSize = 0;
            while (!todo.isEmpty()) {
                StorePath path = todo.pop();
                if (seen.putIfAbsent(path.hashPart(), path) != null) {
                    continue;
                }
                if (seen.size() > 100_000) {
                    throw new IllegalStateException("closure larger than 100000 paths");
                }
                String key = path.hashPart() + ".narinfo";
                Path file = dir.resolve(key);
                if (!Files.isRegularFile(file)) {
                    throw new IllegalStateException(path + " is not in " + dir + " (no " + key + "): publish it first with "
                            + "ferry publish --to file://" + dir);
                }
                narinfos.add(key);
                for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                    int colon = line.indexOf(": ");
                    String value = colon < 0 ? "" : line.substring(colon + 2).strip();
                    if (line.startsWith("URL: ")) {
                        nars.add(value);
                    } else if (line.startsWith("NarSize: ")) {
                        narSize += Long.parseLong(value);
                    } else if (line.startsWith("FileSize: ")) {
                        fileSize += Long.parseLong(value);
                    } else if (line.startsWith("References:")) {
                        for (String ref : line.substring("References:".length()).strip().split(" ")) {
                            if (!ref.isEmpty()) {
                                todo.push(StorePath.parseBaseName(ref));
                            }
                        }
                    }
                }
            }
            return new Closure(List.copyOf(seen.values()), narinfos, nars, narSize, fileSize);
        }
    }

    /** The narinfo keys at the top of a directory cache, sorted. */
    static List<String> narinfoKeys(Path dir) throws IOException {
        try (var list = Files.list(dir)) {
            return list.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".narinfo")
                            && StorePath.isHashPart(n.substring(0, n.length() - ".narinfo".length())))
                    .sorted().toList();
        }
    }

    static int[] freePorts(int count) throws IOException {
        List<ServerSocket> sockets = new ArrayList<>();
        try {
            int[] ports = new int[count];
            for (int i = 0; i < count; i++) { // held open together, so they differ
                ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                sockets.add(socket);
                ports[i] = socket.getLocalPort();
            }
            return ports;
        } finally {
            for (ServerSocket socket : sockets) {
                socket.close();
            }
        }
    }

    /** The first line a program prints (stdout and stderr) for a version query, whatever its exit status. */
    static String firstLine(String program, String... args) throws IOException, InterruptedException {
        List<String> argv = new ArrayList<>(List.of(program));
        argv.addAll(List.of(args));
        Process process = new ProcessBuilder(argv).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        String text;
        try (InputStream in = process.getInputStream()) {
            text = new String(in.readNBytes(4096), StandardCharsets.UTF_8);
        }
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
        String first = text.lines().findFirst().orElse(program).strip();
        boolean bareVersion = first.matches("v?[0-9].*"); // caddy version prints "2.6.2" or "v2.7.6 h1:..."
        // wrk -v: "wrk debian/4.1.0-3+b2 [epoll] Copyright (C) 2012 Will Glozer": the copyright is no version.
        int copyright = first.indexOf(" Copyright");
        first = copyright > 0 ? first.substring(0, copyright) : first;
        return bareVersion ? program.substring(program.lastIndexOf('/') + 1) + " " + first.split(" ")[0] : first;
    }

    /**
     * Runs a client program (nix, curl, wrk) with its standard output and error in {@code out}, waiting on this
     * platform thread, and returns that output. Not through {@link ProcessRunner}, so that the program's output
     * costs the in-process server nothing (its pumps were once virtual threads that held both carrier threads of a
     * 2-core machine; see {@code --via-process-runner}).
     */
    static String runQuietly(List<String> argv, Map<String, String> environment, Duration timeout, Path out)
            throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(out.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        builder.environment().putAll(environment);
        Process process = builder.start();
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException(String.join(" ", argv) + " timed out after " + timeout + ":\n" + tail(out));
            }
        } finally {
            if (process.isAlive()) { // timed out or interrupted: end it and its children, nothing else
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        }
        if (process.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", argv) + " exited with " + process.exitValue() + ":\n"
                    + tail(out));
        }
        return Files.readString(out, StandardCharsets.UTF_8);
    }

    private static String tail(Path file) {
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException | java.io.UncheckedIOException e) {
            return "(no output)";
        }
    }

    private static String seconds(List<Long> nanos) {
        return nanos.stream().map(n -> String.format(Locale.ROOT, "%.3f", n / 1e9)).toList().toString();
    }

    private static String jsonString(String text) {
        StringBuilder out = new StringBuilder("\"");
        for (char ch : text.toCharArray()) {
            switch (ch) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                default -> {
                    if (ch < 0x20) {
                        out.append(String.format(Locale.ROOT, "\\u%04x", (int) ch));
                    } else {
                        out.append(ch);
                    }
                }
            }
        }
        return out.append('"').toString();
    }
}
