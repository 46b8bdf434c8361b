package dev.ferry.server;

import dev.ferry.cache.BinaryCache;
import dev.ferry.cache.CacheException;
import dev.ferry.cache.Storage;
import dev.ferry.nix.PublicKey;
import dev.ferry.nix.SecretKey;
import io.helidon.http.DirectHandler;
import io.helidon.http.HeaderValues;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.DirectHandlers;
import java.util.Optional;

/**
 * The running server: Helidon SE on virtual threads, serving the binary cache at {@code /cache}. {@link #start} reads
 * the files the configuration names (signing key, upload token), opens the storage, writes {@code nix-cache-info} if
 * missing and listens.
 */
public final class FerryServer implements AutoCloseable {
    private final WebServer server;
    private final Storage storage;
    private final ServerConfig config;
    private final ServedCache cache;
    private final Optional<Builds> builds;
    private final DeployerEndpoints deployer;
    private final Health health;
    private final Optional<DataDirLock> dataDir;

    private FerryServer(WebServer server, Storage storage, ServerConfig config, ServedCache cache,
                        Optional<Builds> builds, DeployerEndpoints deployer, Health health,
                        Optional<DataDirLock> dataDir) {
        this.dataDir = dataDir;
        this.health = health;
        this.server = server;
        this.storage = storage;
        this.config = config;
        this.cache = cache;
        this.builds = builds;
        this.deployer = deployer;
    }

    /** The binary cache only: no database, no webhook, no API. */
    public static FerryServer start(ServerConfig config) {
        return start(config, Optional.empty(), PipelineFactory.unavailable());
    }

    /**
     * The binary cache, and with {@code builderSettings} the webhook, the build queue and the JSON API: the database
     * {@code <data-dir>/ferry.db} is migrated first (see docs/api.md), builds left running by a previous process are
     * recovered, and builds run through the pipeline {@code pipelines} makes.
     */
    public static FerryServer start(ServerConfig config, Optional<BuilderSettings> builderSettings,
                                    PipelineFactory pipelines) {
        // The files the settings name are read before anything is created: a missing secret leaves no data
        // directory or generated key behind.
        UploadAuth uploads = config.uploadTokenFile().map(UploadAuth::fromFile).orElseGet(UploadAuth::disabled);
        Optional<Builds.Secrets> secrets = builderSettings.map(Builds.Secrets::read);
        // With builds, the data directory holds the database: one server of it at a time, whatever its port. First,
        // so that the same configuration started twice is told about the other server, not about the port.
        Optional<DataDirLock> dataDir = builderSettings.map(settings -> DataDirLock.acquire(config.dataDir()));
        try {
            requireFreePort(config); // before the database is opened and the queue starts
            return start(config, builderSettings, secrets, pipelines, uploads, dataDir);
        } catch (RuntimeException e) {
            dataDir.ifPresent(DataDirLock::close);
            throw e;
        }
    }

    private static FerryServer start(ServerConfig config, Optional<BuilderSettings> builderSettings,
                                     Optional<Builds.Secrets> secrets, PipelineFactory pipelines, UploadAuth uploads,
                                     Optional<DataDirLock> dataDir) {
        SecretKey signingKey = SigningKeyFile.loadOrGenerate(config);
        Storage storage;
        Optional<Builds> builds = Optional.empty();
        Metrics metrics = Metrics.create();
        try {
            storage = new MeteredStorage(config.cacheUri().open(), metrics);
        } catch (CacheException e) {
            throw new InvalidConfigException(ServerConfig.CACHE_URI, e.getMessage(), e);
        }
        try {
            BinaryCache binaryCache = new BinaryCache(storage);
            binaryCache.ensureCacheInfo();
            ServedCache cache = new ServedCache(binaryCache, signingKey, uploads, config.maxUploadSize(), metrics);
            DeployerEndpoints deployer = new DeployerEndpoints(dev.ferry.cache.ManifestStore.create(storage));
            PipelineFactory metered = resources -> new MeteredPipeline(pipelines.create(resources), metrics,
                    java.time.Clock.systemUTC());
            builds = builderSettings.map(settings -> Builds.start(config, settings, secrets.orElseThrow(), storage,
                    signingKey, metered, BranchHeads.jgit(), deployer.notifier(), MeteredPipeline.ended(metrics)));
            Optional<Builds> started = builds;
            Health health = new Health(storage, builds.map(b -> b.database), metrics, java.time.Clock.systemUTC());
            WebServer server = WebServer.builder()
                    .host(config.host())
                    .port(config.port())
                    .shutdownHook(false)
                    .maxPayloadSize(config.maxUploadSize())
                    .directHandlers(FerryServer::directHandlers)
                    .routing(routing -> Routes.routing(routing, cache, started, deployer, health))
                    .build()
                    .start();
            if (!server.isRunning()) {
                // Helidon logs why and returns a server that listens on nothing (port -1).
                server.stop();
                throw new InvalidConfigException(ServerConfig.PORT, "cannot listen on " + config.host() + ":"
                        + config.port() + " (see the error above); nothing was started");
            }
            deployer.notifier().watch(deployer.manifests());
            return new FerryServer(server, storage, config, cache, builds, deployer, health, dataDir);
        } catch (RuntimeException e) {
            builds.ifPresent(Builds::close);
            storage.close();
            throw e;
        }
    }

    /**
     * Fails with the port's problem in one line when another program listens on it: Helidon would log a stack trace
     * and return a server listening on nothing.
     */
    private static void requireFreePort(ServerConfig config) {
        if (config.port() == 0) {
            return;
        }
        try (java.net.ServerSocket probe = new java.net.ServerSocket()) {
            probe.setReuseAddress(true); // as Helidon binds: a port in TIME_WAIT is free
            probe.bind(new java.net.InetSocketAddress(config.host(), config.port()));
        } catch (java.io.IOException e) {
            throw new InvalidConfigException(ServerConfig.PORT, "cannot listen on " + config.host() + ":"
                    + config.port() + ": " + (e instanceof java.net.BindException && String.valueOf(e.getMessage()).contains("in use")
                    ? "the address is in use (another program listens there; stop it, or choose another port)"
                    : e.getMessage()));
        }
    }

    /**
     * Errors Helidon answers itself, before routing (a malformed request line, headers too large): the status and
     * its reason phrase only, never the parser's message.
     */
    private static void directHandlers(DirectHandlers.Builder builder) {
        for (DirectHandler.EventType type : DirectHandler.EventType.values()) {
            builder.addHandler(type, (request, eventType, status, headers, message) -> DirectHandler.TransportResponse
                    .builder()
                    .status(status)
                    .headers(headers)
                    .header(HeaderValues.CONTENT_TYPE_TEXT_PLAIN)
                    .entity(status.reasonPhrase().toLowerCase(java.util.Locale.ROOT) + "\n")
                    .build());
        }
    }

    /** The port it listens on (the one picked, if configured as 0). */
    public int port() {
        return server.port();
    }

    /** {@code http://host:port}. */
    public String url() {
        String host = config.host().contains(":") ? "[" + config.host() + "]" : config.host();
        return "http://" + host + ":" + port();
    }

    /** The substituter URL: {@code http://host:port/cache}. */
    public String cacheUrl() {
        return url() + "/cache";
    }

    /** The storage the cache (and its manifests) live in. */
    public Storage storage() {
        return storage;
    }

    /** The deployer's hooks: the notifier of new generations, and where a co-resident deployer is attached. */
    public DeployerEndpoints deployer() {
        return deployer;
    }

    /** What {@code /metrics} shows; the co-resident deployer reports its passes here. */
    public Metrics metrics() {
        return cache.metrics();
    }

    /** From now on {@code /v1/healthz} checks that a deployer passes without errors every {@code interval}. */
    public void watchDeployer(java.time.Duration interval) {
        health.watchDeployer(interval);
    }

    public PublicKey publicKey() {
        return cache.signingKey().publicKey();
    }

    /** The line printed at start: where it listens, the cache behind it, whether uploads are on, the key to trust. */
    public String startupLine() {
        return "ferry: serving " + cacheUrl() + " from " + storage.uri() + ", uploads "
                + (cache.uploads().enabled() ? "enabled (token)" : "disabled")
                + builds.map(b -> "; webhook at " + url() + "/webhook, " + b.projects.all().size() + " project(s), "
                        + "state in " + b.database.file()).orElse("")
                + "; trusted public key: " + publicKey().render();
    }

    @Override
    public void close() {
        try {
            deployer.notifier().close();
            server.stop();
        } finally {
            try {
                builds.ifPresent(Builds::close);
            } finally {
                try {
                    storage.close();
                } finally {
                    dataDir.ifPresent(DataDirLock::close);
                }
            }
        }
    }
}
