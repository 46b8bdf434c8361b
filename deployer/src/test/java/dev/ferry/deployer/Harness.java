package dev.ferry.deployer;

import dev.ferry.cache.BinaryCache;
import dev.ferry.cache.CacheUri;
import dev.ferry.cache.Compression;
import dev.ferry.cache.LocalNixStore;
import dev.ferry.cache.Manifest;
import dev.ferry.cache.ManifestStore;
import dev.ferry.cache.ManifestVerifier;
import dev.ferry.cache.Publisher;
import dev.ferry.cache.Storage;
import dev.ferry.nix.SecretKey;
import dev.ferry.nix.StorePath;
import dev.ferry.process.Command;
import dev.ferry.process.ProcessResult;
import dev.ferry.process.ProcessRunner;
import dev.ferry.testkit.TestEnv;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * One isolated deployer world for an integration test: its own unit prefix, its own Caddy on free ports, its own
 * profiles and state directories, a file:// cache with a signing key. {@link #close()} stops only what it created.
 */
final class Harness implements AutoCloseable {
    static final String BUS = "unix:path=/run/user/0/bus";
    static final String HOST = "testhost";
    static final ProcessRunner RUNNER = ProcessRunner.local();

    final Path dir;
    final String id = Long.toString(System.nanoTime() % 1_000_000_000L, 36);
    final String prefix = "ferry-t" + id + "-";
    final SecretKey key = SecretKey.generate("ferry-test-" + id + "-1");
    final Path cacheDir;
    final Storage storage;
    final ManifestStore manifests;
    final Path profilesDir = Path.of("/nix/var/nix/profiles/ferry-test-" + id);
    final Path stateDir;
    private final int[] ports = dev.ferry.testkit.TestEnv.freePorts(2);
    final int adminPort = ports[0];
    final int listenPort = ports[1];
    final Systemd systemd = Systemd.connect(BUS);
    private Process caddy;

    Harness(Path dir) throws IOException {
        this.dir = dir;
        this.cacheDir = dir.resolve("cache");
        this.storage = CacheUri.parse("file://" + cacheDir).open();
        new BinaryCache(storage).ensureCacheInfo(); // a cache as Ferry makes one, even before anything is published
        this.manifests = ManifestStore.create(storage);
        this.stateDir = dir.resolve("state");
        startCaddy();
    }

    DeployerSettings settings() {
        return new DeployerSettings("file://" + cacheDir, HOST, List.of(key.publicKey()), List.of("file://" + cacheDir),
                profilesDir, 5, stateDir, BUS, prefix, 21000, 29999, URI.create("http://127.0.0.1:" + adminPort),
                "127.0.0.1:" + listenPort, Duration.ofSeconds(30), Duration.ofSeconds(30));
    }

    Deployer deployer() {
        return deployer(unit -> { });
    }

    Deployer deployer(Consumer<String> afterUnitStarted) {
        DeployerSettings s = settings();
        return Deployer.create(s, manifests, systemd, Caddy.admin(s.caddyAdminUrl()), NixStore.cli(RUNNER,
                profilesDir), ReadyCheck.http(), Duration.ofMillis(500), afterUnitStarted);
    }

    // ---- Caddy ----

    void startCaddy() throws IOException {
        Path config = dir.resolve("caddy.json");
        Files.writeString(config, "{\"admin\":{\"listen\":\"127.0.0.1:" + adminPort + "\"}}");
        Path xdg = Files.createDirectories(dir.resolve("caddy-xdg"));
        ProcessBuilder pb = new ProcessBuilder("caddy", "run", "--config", config.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("caddy.log").toFile());
        pb.environment().put("XDG_DATA_HOME", xdg.toString());
        pb.environment().put("XDG_CONFIG_HOME", xdg.toString());
        caddy = pb.start();
        HttpClient client = HttpClient.newHttpClient();
        for (int i = 0; i < 200; i++) {
            try {
                client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/config/")).build(),
                        HttpResponse.BodyHandlers.discarding());
                return;
            } catch (IOException e) {
                sleep(50);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }
        throw new IllegalStateException("caddy did not start; see " + dir.resolve("caddy.log"));
    }

    void stopCaddy() {
        if (caddy != null) {
            caddy.destroy();
            try {
                caddy.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** GET through Caddy with {@code host} as Host header, on a fresh connection: status and body. */
    Response get(String host, String path) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", listenPort), 2000);
            socket.setSoTimeout(5000);
            OutputStream out = socket.getOutputStream();
            out.write(("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            int space = text.indexOf(' ');
            int status = Integer.parseInt(text.substring(space + 1, space + 4));
            int body = text.indexOf("\r\n\r\n");
            return new Response(status, body < 0 ? "" : text.substring(body + 4));
        } catch (IOException | RuntimeException e) {
            return new Response(-1, e.toString());
        }
    }

    record Response(int status, String body) {
    }

    // ---- Nix and the cache ----

    static ProcessResult nix(String... argv) {
        return RUNNER.run(Command.of(argv).environment(TestEnv.nixEnvironment()).timeout(Duration.ofMinutes(5)));
    }

    /**
     * A service that serves {@code version} on $PORT; /healthz answers 200, or 500 forever when not ready;
     * /credential answers {@code sha256=<hex>} of {@code $CREDENTIALS_DIRECTORY/token} (never the value), or 404.
     */
    StorePath buildService(String version, boolean ready) {
        String expression = """
                let py = builtins.toFile "serve-%3$s.py" ''
                  import hashlib, http.server, os, sys
                  version, ready = sys.argv[1], sys.argv[2] == "ready"
                  def credential():
                      try:
                          with open(os.path.join(os.environ["CREDENTIALS_DIRECTORY"], "token"), "rb") as f:
                              return 200, ("sha256=" + hashlib.sha256(f.read()).hexdigest()).encode()
                      except (KeyError, OSError) as e:
                          return 404, ("no credential: " + type(e).__name__).encode()
                  class H(http.server.BaseHTTPRequestHandler):
                      protocol_version = "HTTP/1.1"
                      def do_GET(self):
                          code, body = (500, b"never") if self.path == "/healthz" and not ready else (200, version.encode())
                          if self.path == "/credential":
                              code, body = credential()
                          self.send_response(code)
                          self.send_header("Content-Length", str(len(body)))
                          self.end_headers()
                          self.wfile.write(body)
                      def log_message(self, *args):
                          pass
                  http.server.ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
                '';
                in derivation {
                  name = "svc-%1$s"; system = builtins.currentSystem; builder = "/bin/sh"; PATH = "/usr/bin:/bin";
                  marker = "%3$s";
                  args = [ "-c" "mkdir -p $out/bin; printf '#!/bin/sh\\\\nexec /usr/bin/python3 %%s %%s %%s\\\\n' ${py} %1$s %2$s > $out/bin/serve; chmod +x $out/bin/serve" ];
                }
                """.formatted(version, ready ? "ready" : "never", id + "-" + UUID.randomUUID());
        return build(expression);
    }

    /** A program without HTTP: sleeps forever. */
    StorePath buildSleeper(String version) {
        return build("""
                derivation {
                  name = "sleeper-%s"; system = builtins.currentSystem; builder = "/bin/sh"; PATH = "/usr/bin:/bin";
                  marker = "%s";
                  args = [ "-c" "mkdir -p $out/bin; printf '#!/bin/sh\\\\nexec /bin/sleep infinity\\\\n' > $out/bin/run; chmod +x $out/bin/run" ];
                }
                """.formatted(version, id + "-" + UUID.randomUUID()));
    }

    /**
     * A program named {@code serve} that exits with {@code status} after {@code seconds} (0: at once), never listening
     * on anything.
     */
    StorePath buildExiting(int status, int seconds) {
        return build("""
                derivation {
                  name = "exits-%d"; system = builtins.currentSystem; builder = "/bin/sh"; PATH = "/usr/bin:/bin";
                  marker = "%s";
                  args = [ "-c" "mkdir -p $out/bin; printf '#!/bin/sh\\\\nsleep %d\\\\nexit %d\\\\n' > $out/bin/serve; chmod +x $out/bin/serve" ];
                }
                """.formatted(status, id + "-" + UUID.randomUUID(), seconds, status));
    }

    /** A static site with an index.html reading {@code text}. */
    StorePath buildSite(String text) {
        return build("""
                derivation {
                  name = "site"; system = builtins.currentSystem; builder = "/bin/sh"; PATH = "/usr/bin:/bin";
                  marker = "%s";
                  args = [ "-c" "mkdir -p $out; echo %s > $out/index.html; echo asset > $out/app.js" ];
                }
                """.formatted(id + "-" + UUID.randomUUID(), text));
    }

    private StorePath build(String expression) {
        try {
            Path file = Files.writeString(Files.createTempFile(dir, "expr", ".nix"), expression);
            return StorePath.parse(nix("nix-build", "--no-out-link", file.toString()).stdout().strip());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void publish(StorePath path) {
        publish(path, key);
    }

    void publish(StorePath path, SecretKey signer) {
        new Publisher(new BinaryCache(storage), new LocalNixStore(RUNNER), Compression.ZSTD, 2)
                .publish(List.of(path), signer, Publisher.Listener.none());
    }

    static Manifest.Service service(String name, StorePath path, String domain) {
        return new Manifest.Service(name, Manifest.Artifact.nixClosure(path), List.of(HOST),
                new Manifest.Exec("serve", List.of(), Optional.empty(), Optional.empty()), Map.of("GREETING", "hello"),
                Optional.empty(), Optional.of(new Manifest.Http(domain, List.of(), "/", OptionalInt.empty())),
                Optional.of(new Manifest.Ready(new Manifest.HttpCheck("/healthz", 5))), Manifest.Systemd.DEFAULT,
                Manifest.Hardening.DEFAULT, Optional.empty());
    }

    /** The service with {@code envFile} (a file on the host holding secrets) as its environment file. */
    static Manifest.Service withEnvFile(Manifest.Service s, Path envFile) {
        return new Manifest.Service(s.name(), s.artifact(), s.hosts(), s.exec(), s.env(),
                Optional.of(envFile.toString()), s.credentials(), s.http(), s.ready(), s.systemd(), s.hardening(),
                s.revision());
    }

    static Manifest.Service worker(String name, StorePath path) {
        return new Manifest.Service(name, Manifest.Artifact.nixClosure(path), List.of(HOST),
                new Manifest.Exec("run", List.of(), Optional.empty(), Optional.empty()), Map.of(), Optional.empty(),
                Optional.empty(), Optional.empty(), Manifest.Systemd.DEFAULT, Manifest.Hardening.DEFAULT,
                Optional.empty());
    }

    long write(String reason, java.util.function.UnaryOperator<Manifest> change) {
        return manifests.update(key, ManifestVerifier.trusting(List.of(key.publicKey())), reason, change)
                .generation().generation();
    }

    /** The store path of each generation of {@code service}'s profile ({@code <service>-<n>-link}). */
    static List<String> generations(Path profiles, String service) throws IOException {
        List<String> paths = new java.util.ArrayList<>();
        try (java.nio.file.DirectoryStream<Path> links = Files.newDirectoryStream(profiles, service + "-*-link")) {
            for (Path link : links) {
                paths.add(link.toRealPath().toString());
            }
        }
        return paths;
    }

    List<Systemd.Unit> units() {
        return systemd.list(prefix);
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        for (Systemd.Unit unit : systemd.list(prefix)) {
            try {
                systemd.stop(unit.name());
            } catch (RuntimeException e) {
                // best effort
            }
        }
        systemd.close();
        stopCaddy();
        try (var entries = Files.list(profilesDir)) {
            for (Path p : entries.toList()) {
                Files.deleteIfExists(p);
            }
            Files.deleteIfExists(profilesDir);
        } catch (IOException e) {
            // nothing was created
        }
    }
}
