package dev.ferry.server;

import dev.ferry.cache.BinaryCache;
import dev.ferry.cache.CacheUri;
import dev.ferry.cache.Storage;
import dev.ferry.nix.SecretKey;
import io.helidon.webserver.WebServer;
import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The cache endpoints in-process on a free port, through {@link Routes#routing} (the method {@link FerryServer} uses),
 * over a directory cache or any {@link Storage}.
 */
final class TestServer implements AutoCloseable {
    static final String TOKEN = "test-upload-token-0123456789";

    final Storage storage;
    final BinaryCache cache;
    final SecretKey key;
    final WebServer server;

    private TestServer(Storage storage, SecretKey key, UploadAuth uploads, long maxUploadSize) {
        this.storage = storage;
        this.cache = new BinaryCache(storage);
        this.key = key;
        cache.ensureCacheInfo();
        ServedCache served = new ServedCache(cache, key, uploads, maxUploadSize);
        this.server = WebServer.builder()
                .host("127.0.0.1")
                .port(0)
                .shutdownHook(false)
                .routing(routing -> Routes.routing(routing, served))
                .build()
                .start();
    }

    /** A directory cache at {@code dir}, uploads with {@link #TOKEN}. */
    static TestServer start(Path dir) {
        return start(CacheUri.parse("file://" + dir.toAbsolutePath()).open(), Optional.of(TOKEN),
                ServerConfig.DEFAULT_MAX_UPLOAD_SIZE);
    }

    static TestServer start(Storage storage, Optional<String> token, long maxUploadSize) {
        return start(storage, SecretKey.generate("ferry-test-1"), token, maxUploadSize);
    }

    static TestServer start(Storage storage, SecretKey key, Optional<String> token, long maxUploadSize) {
        return new TestServer(storage, key, token.map(UploadAuth::token).orElseGet(UploadAuth::disabled),
                maxUploadSize);
    }

    int port() {
        return server.port();
    }

    URI uri(String rawPath) {
        return URI.create("http://127.0.0.1:" + port() + rawPath);
    }

    String cacheUrl() {
        return "http://127.0.0.1:" + port() + "/cache";
    }

    @Override
    public void close() {
        server.stop();
        storage.close();
    }
}
