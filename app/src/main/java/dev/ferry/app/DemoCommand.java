package dev.ferry.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ferry.process.ProcessRunner;
import dev.ferry.server.ConfigCheck;
import dev.ferry.server.FerryServer;
import dev.ferry.server.PipelineFactory;
import dev.ferry.server.ServerConfig;
import dev.ferry.webhook.Signatures;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;
import java.util.stream.Stream;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.errors.GitAPIException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ferry demo}: Ferry's main job on embedded defaults, in a temporary directory. A server (SQLite, a local
 * cache), the bundled example as a project in a local bare git repository, a signed push webhook as a forge sends
 * it, the build followed to its publication, then, where systemd and Caddy can run, the co-resident deployer serving
 * it through a Caddy of its own. Ctrl-C (or {@code --exit-after-deploy}) stops the units (their prefix is unique to
 * this run), Caddy, the server, and removes the directory; the Nix store paths stay.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Show Ferry at work on this machine: build, publish and deploy the bundled example "
                + "(examples/hello) from a local git repository, through a signed webhook.",
                "Everything lives in a temporary directory, removed on Ctrl-C. As root on Debian, installs what is "
                        + "missing (nix-bin, caddy, systemd, dbus-user-session)."})
final class DemoCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String SECRET = randomHex(16);

    @Spec
    CommandSpec spec;

    @Option(names = "--example", paramLabel = "DIR",
            description = "The project to build (default: examples/hello beside this Ferry).")
    Optional<Path> example;

    @Option(names = "--exit-after-deploy", description = "Clean up and exit once the page answers (for tests).")
    boolean exitAfterDeploy;

    private PrintWriter out;
    private final AtomicBoolean cleaned = new AtomicBoolean();
    private final HttpClient http = HttpClient.newHttpClient();

    @Override
    public Integer call() throws Exception {
        out = spec.commandLine().getOut();
        if (System.getenv("FERRY_DEBUG") == null) {
            System.setProperty("slf4j.internal.verbosity", "ERROR"); // JGit's "no SLF4J providers" notice
        }
        // The deployer's and builder's log lines, one line each, indented under the demo's own.
        for (java.util.logging.Handler handler : Logger.getLogger("").getHandlers()) {
            handler.setFormatter(new java.util.logging.SimpleFormatter() {
                @Override
                public String format(java.util.logging.LogRecord record) {
                    return "    " + record.getLevel().getName().toLowerCase(java.util.Locale.ROOT) + ": "
                            + formatMessage(record) + System.lineSeparator();
                }
            });
        }
        Path source = example.orElseGet(DemoCommand::bundledExample).toAbsolutePath();
        if (!Files.isRegularFile(source.resolve("flake.nix"))) {
            throw new IllegalArgumentException("no flake.nix in " + source + " (give the project with --example DIR)");
        }
        String id = randomHex(3);
        String prefix = "ferry-demo-" + id + "-";
        DemoHost host = new DemoHost(ProcessRunner.local(), out);
        Path dir = Files.createTempDirectory("ferry-demo-");
        say("working in " + dir + " (removed on exit); units named " + prefix + "*");
        Session session = new Session(dir, prefix, host);
        Thread hook = new Thread(() -> cleanUp(session), "ferry-demo-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            return run(source, session);
        } finally {
            // Reached when the demo ends by itself (a failure, or --exit-after-deploy); Ctrl-C runs the hook.
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // Shutting down already: the hook runs the same cleanup.
            }
            cleanUp(session);
        }
    }

    /** What one run started, for the cleanup. */
    private static final class Session {
        final Path dir;
        final String prefix;
        final DemoHost host;
        volatile Optional<FerryServer> server = Optional.empty();
        volatile Optional<Runnable> deployerStop = Optional.empty();

        Session(Path dir, String prefix, DemoHost host) {
            this.dir = dir;
            this.prefix = prefix;
            this.host = host;
        }
    }

    private int run(Path source, Session s) throws Exception {
        if (!DemoHost.missingForBuild().isEmpty() || !DemoHost.missingForDeploy().isEmpty()) {
            s.host.installMissing();
        }
        if (!DemoHost.missingForBuild().isEmpty()) {
            say("cannot build: missing " + String.join(", ", DemoHost.missingForBuild())
                    + ". Install Nix (Debian: apt-get install nix-bin) and run ferry demo again.");
            return 1;
        }
        List<String> missing = DemoHost.missingForDeploy();
        boolean deploy = missing.isEmpty() && s.host.ensureUserManager();
        if (!missing.isEmpty()) {
            say("will stop after publishing: deploying needs " + String.join(", ", missing)
                    + " (as root on Debian, ferry demo installs them: apt-get install nix-bin caddy systemd "
                    + "dbus-user-session)");
        } else if (!deploy) {
            say("will stop after publishing: no systemd user manager answers on " + s.host.bus());
        }

        String cloneUrl = makeRepository(source, s.dir);
        int[] ports = BenchServeCommand.freePorts(2); // held open together, so they differ
        int adminPort = ports[0];
        int listenPort = ports[1];
        if (deploy) {
            long pid = s.host.startCaddy(s.dir.resolve("caddy"), adminPort);
            say("started Caddy (pid " + pid + "), admin 127.0.0.1:" + adminPort + ", listening on 127.0.0.1:"
                    + listenPort);
        }
        Path config = writeConfig(s, cloneUrl, deploy, adminPort, listenPort);
        FerryServer server = startServer(s, config, deploy);

        String commit = headCommit(s.dir.resolve("hello.git"));
        long buildId = sendWebhook(server, cloneUrl, commit);
        JsonNode build = follow(server, buildId);
        if (!build.path("status").asText().equals("succeeded")) {
            say("the build " + build.path("status").asText() + ": " + build.path("error").asText());
            return 1;
        }
        long narinfos;
        try (Stream<Path> files = Files.list(s.dir.resolve("data/cache"))) {
            narinfos = files.filter(f -> f.getFileName().toString().endsWith(".narinfo")).count();
        }
        String output = build.path("outputs").path("web").asText();
        say("published: " + narinfos + " narinfos in " + s.dir.resolve("data/cache") + ", generation "
                + build.path("generation").asText());
        say("fetch it as any Nix host would: nix --extra-experimental-features nix-command copy --from "
                + server.cacheUrl() + " --option trusted-public-keys '" + server.publicKey().render() + "' " + output);

        String page = "";
        if (deploy) {
            page = awaitPage(listenPort);
            if (page.isEmpty()) {
                say("the page did not answer within 2 minutes; the deployer reports (GET /v1/hosts):");
                get(server.url() + "/v1/hosts").lines().forEach(line -> out.println("    " + line));
            } else {
                say("deployed: http://hello-main-web.localhost:" + listenPort + "/ answers: " + page.strip());
            }
        }
        printNext(server, deploy, listenPort, s.dir);
        if (exitAfterDeploy) {
            return deploy && !page.isEmpty() ? 0 : 1;
        }
        say("press Ctrl-C to stop everything and remove " + s.dir);
        new CountDownLatch(1).await(); // until Ctrl-C; the shutdown hook cleans up
        return 0;
    }

    /** A bare repository at {@code dir/hello.git} holding the example as one commit on main; its file URL. */
    private static String makeRepository(Path source, Path dir) throws IOException, GitAPIException {
        Path work = dir.resolve("hello-src");
        try (Stream<Path> files = Files.walk(source)) {
            for (Path file : files.toList()) {
                Path target = work.resolve(source.relativize(file).toString());
                if (Files.isDirectory(file)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(file, target, java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
        Path bare = dir.resolve("hello.git");
        try (Git git = Git.init().setDirectory(work.toFile()).setInitialBranch("main").call()) {
            git.add().addFilepattern(".").call();
            git.commit().setMessage("hello, as bundled with Ferry").setAuthor("Ferry demo", "demo@ferry.invalid")
                    .setCommitter("Ferry demo", "demo@ferry.invalid").setSign(false).call();
        }
        Git.cloneRepository().setURI(work.toUri().toString()).setDirectory(bare.toFile()).setBare(true).call()
                .close();
        return "file://" + bare;
    }

    private static String headCommit(Path bare) throws IOException {
        try (Git git = Git.open(bare.toFile())) {
            return git.getRepository().resolve("refs/heads/main").name();
        }
    }

    private Path writeConfig(Session s, String cloneUrl, boolean deploy, int adminPort, int listenPort)
            throws IOException {
        Path secret = Files.writeString(s.dir.resolve("webhook.secret"), SECRET);
        Optional<DeployTo> to = deploy ? Optional.of(new DeployTo(s.host.bus(), s.prefix, adminPort, listenPort))
                : Optional.empty();
        return Files.writeString(s.dir.resolve("ferry.yaml"), configYaml(s.dir, cloneUrl, secret, to));
    }

    /** Where the co-resident deployer runs units and routes: its bus, unit prefix and Caddy's two ports. */
    record DeployTo(String bus, String unitPrefix, int caddyAdminPort, int caddyListenPort) {
    }

    /** The demo's ferry.yaml: everything under {@code dir}; the API readable without a token. */
    static String configYaml(Path dir, String cloneUrl, Path webhookSecret, Optional<DeployTo> deploy) {
        StringBuilder yaml = new StringBuilder("""
                ferry:
                  data-dir: "%s"
                  server: {host: 127.0.0.1, port: 0}
                  projects:
                    - {name: hello, clone-url: "%s", production-branch: main}
                  webhook: {secret-file: "%s"}
                  api: {public-read: true}
                  domains: {ephemeral: localhost}
                """.formatted(dir.resolve("data"), cloneUrl, webhookSecret));
        deploy.ifPresent(d -> yaml.append("""
                  deployer:
                    enabled: true
                    host: demo
                    profiles-dir: "%s"
                    systemd-bus: "%s"
                    unit-prefix: "%s"
                    caddy-admin-url: "http://127.0.0.1:%d"
                    caddy-listen: "127.0.0.1:%d"
                """.formatted(dir.resolve("profiles"), d.bus(), d.unitPrefix(), d.caddyAdminPort(),
                d.caddyListenPort())));
        return yaml.toString();
    }

    private FerryServer startServer(Session s, Path config, boolean deploy) {
        // Only the demo's own file: FERRY_* variables of the caller's shell do not reach into the demo.
        ServerConfig.Environment current = ServerConfig.Environment.current();
        ServerConfig.Environment environment = new ServerConfig.Environment(
                Map.of("HOME", current.variables().getOrDefault("HOME", "/root")), current.root(), s.dir);
        // The one code path of ferry serve and check-config: every section, unknown keys refused.
        ConfigCheck.Loaded loaded = ConfigCheck.check(Optional.of(config), environment, ConfigCheck.Use.SERVER)
                .orThrow();
        ServerConfig settings = loaded.server();
        FerryServer server = FerryServer.start(settings, Optional.of(loaded.builder()),
                PipelineFactory.nix(loaded.pipeline()));
        s.server = Optional.of(server);
        say("server: " + server.startupLine().replaceFirst("^ferry: ", ""));
        if (deploy) {
            CoResidentDeployer.Started started = CoResidentDeployer.launch(server, settings, loaded.deployer());
            s.deployerStop = Optional.of(started.stop());
            say(started.line().replaceFirst("^ferry: ", ""));
        }
        return server;
    }

    /** POSTs a Gitea push of main at {@code commit}, signed with the webhook secret; returns the build's id. */
    private long sendWebhook(FerryServer server, String cloneUrl, String commit) throws Exception {
        String body = """
                {"ref": "refs/heads/main", "before": "%s", "after": "%s",
                 "repository": {"full_name": "demo/hello", "clone_url": "%s", "html_url": "%s"}}
                """.formatted("0".repeat(40), commit, cloneUrl, cloneUrl);
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(server.url() + "/webhook"))
                .header("Content-Type", "application/json").header("X-Gitea-Event", "push")
                .header("X-Gitea-Delivery", "demo-" + commit.substring(0, 12))
                .header("X-Gitea-Signature", Signatures.sign(SECRET.getBytes(StandardCharsets.UTF_8), bytes))
                .POST(HttpRequest.BodyPublishers.ofByteArray(bytes)).build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 202) {
            throw new IllegalStateException("the webhook was refused (" + response.statusCode() + "): "
                    + response.body());
        }
        long id = JSON.readTree(response.body()).path("build").path("id").asLong();
        say("webhook: signed push of main at " + commit.substring(0, 12) + " accepted (202), build " + id);
        return id;
    }

    /** Polls the build, printing each phase as it begins, then the tail of its log; returns the finished build. */
    private JsonNode follow(FerryServer server, long id) throws Exception {
        String shown = "";
        while (true) {
            JsonNode build = JSON.readTree(get(server.url() + "/v1/builds/" + id));
            String status = build.path("status").asText();
            String phase = build.path("phase").asText();
            if (!phase.equals(shown) && !phase.isEmpty()) {
                say("build " + id + ": " + phase);
                shown = phase;
            }
            if (!status.equals("queued") && !status.equals("running")) {
                StringBuilder phases = new StringBuilder();
                build.path("phases").forEach(p -> phases.append(' ').append(p.path("phase").asText()).append(' ')
                        .append(p.path("durationMs").asLong()).append(" ms,"));
                say("build " + id + " " + status + ":" + phases.toString().replaceAll(",$", ""));
                List<String> log = get(server.url() + "/v1/builds/" + id + "/log").lines().toList();
                say("log (last lines of " + log.size() + "):");
                log.subList(Math.max(0, log.size() - 6), log.size()).forEach(line -> out.println("    " + line));
                return build;
            }
            Thread.sleep(200);
        }
    }

    /** Waits (up to two minutes) until Caddy routes hello-main-web.localhost to the running service. */
    private String awaitPage(int listenPort) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        say("waiting for the deployer to start the units and route them in Caddy...");
        while (System.nanoTime() < deadline) {
            String body = getThroughCaddy(listenPort, "hello-main-web.localhost");
            if (body.contains("hello-web")) { // Caddy answers 200 with an empty body while no route matches
                return body;
            }
            Thread.sleep(250);
        }
        return "";
    }

    /**
     * GET / with {@code host} as Host header, as curl -H 'Host: ...' does: the body of a 200, else empty. A plain
     * socket, because the JDK's HttpClient refuses to set Host.
     */
    private static String getThroughCaddy(int port, String host) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            socket.setSoTimeout(5000);
            socket.getOutputStream().write(("GET / HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int split = response.indexOf("\r\n\r\n");
            return response.startsWith("HTTP/1.1 200") && split >= 0 ? response.substring(split + 4) : "";
        } catch (IOException e) {
            return ""; // Caddy not listening yet
        }
    }

    private void printNext(FerryServer server, boolean deploy, int listenPort, Path dir) {
        out.println();
        if (deploy) {
            out.println("Open:");
            out.println("  curl -H 'Host: hello-main-web.localhost' http://127.0.0.1:" + listenPort + "/");
            out.println("  http://hello-main-web.localhost:" + listenPort + "/   (*.localhost resolves to 127.0.0.1)");
            out.println("  http://hello-main-docs.localhost:" + listenPort + "/  (the static site)");
        }
        out.println("Look further:");
        out.println("  curl " + server.url() + "/v1/builds");
        out.println("  curl " + server.url() + "/v1/deployments");
        if (deploy) {
            out.println("  curl " + server.url() + "/v1/hosts");
        }
        out.println("  bin/ferry manifest history --cache file://" + dir.resolve("data/cache"));
        out.println();
        out.flush();
    }

    /** Stops, in order, the deployer, the server, the units, Caddy (and a user manager it started); removes dir. */
    private void cleanUp(Session s) {
        if (cleaned.getAndSet(true)) {
            return;
        }
        say("cleaning up...");
        s.deployerStop.ifPresent(Runnable::run);
        s.deployerStop = Optional.empty();
        s.server.ifPresent(FerryServer::close);
        s.server = Optional.empty();
        s.host.stopUnits(s.prefix);
        s.host.stopStarted();
        try {
            dev.ferry.nix.FileTrees.delete(s.dir);
        } catch (IOException e) {
            say("could not remove all of " + s.dir + ": " + e.getMessage());
        }
        say("stopped units " + s.prefix + "*, Caddy and the server; removed " + s.dir
                + " (the Nix store paths stay)");
    }

    private String get(String url) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IllegalStateException("GET " + url + " answered " + response.statusCode());
        }
        return response.body();
    }

    /** examples/hello of the checkout this jar was built in ({@code ROOT/app/target/ferry.jar}). */
    private static Path bundledExample() {
        try {
            Path jar = Path.of(DemoCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            Path candidate = jar.getParent().getParent().getParent().resolve("examples/hello");
            return Files.isDirectory(candidate) ? candidate : Path.of("examples/hello");
        } catch (java.net.URISyntaxException | RuntimeException e) {
            return Path.of("examples/hello");
        }
    }

    private static String randomHex(int bytes) {
        byte[] random = new byte[bytes];
        RANDOM.nextBytes(random);
        return HexFormat.of().formatHex(random);
    }

    private void say(String line) {
        out.println("demo: " + line);
        out.flush();
    }
}
