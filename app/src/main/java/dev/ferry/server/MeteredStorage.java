package dev.ferry.server;

import dev.ferry.cache.ObjectInfo;
import dev.ferry.cache.Storage;
import dev.ferry.cache.StoredObject;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

/**
 * The server's storage, counting what is written for {@link Metrics}: narinfos (paths published, by builds and by
 * uploads alike), NAR bytes, and manifest generations (not abandoned ones). Everything else passes through.
 */
final class MeteredStorage implements Storage {
    private final Storage storage;
    private final Metrics metrics;

    MeteredStorage(Storage storage, Metrics metrics) {
        this.storage = storage;
        this.metrics = metrics;
    }

    @Override
    public String uri() {
        return storage.uri();
    }

    @Override
    public Optional<Long> size(String key) {
        return storage.size(key);
    }

    @Override
    public boolean exists(String key) {
        return storage.exists(key);
    }

    @Override
    public Optional<StoredObject> open(String key) {
        return storage.open(key);
    }

    @Override
    public long write(String key, long sizeHint, ContentWriter writer) {
        long written = storage.write(key, sizeHint, writer);
        if (key.startsWith("nar/")) {
            metrics.narBytesPublished(written);
        }
        return written;
    }

    @Override
    public void put(String key, byte[] content) {
        storage.put(key, content);
        if (key.endsWith(".narinfo")) {
            metrics.pathPublished();
        }
    }

    @Override
    public boolean createIfAbsent(String key, byte[] content) {
        boolean created = storage.createIfAbsent(key, content);
        if (created && key.matches("manifests/manifest-\\d+\\.json")
                && !new String(content, StandardCharsets.UTF_8).contains("\"abandoned\"")) {
            metrics.generationWritten();
        }
        return created;
    }

    @Override
    public void delete(String key) {
        storage.delete(key);
    }

    @Override
    public List<String> list(String prefix) {
        return storage.list(prefix);
    }

    @Override
    public List<ObjectInfo> listInfo(String prefix) {
        return storage.listInfo(prefix);
    }

    @Override
    public List<ObjectInfo> leftovers() {
        return storage.leftovers();
    }

    @Override
    public void deleteLeftover(String name) {
        storage.deleteLeftover(name);
    }

    @Override
    public void close() {
        storage.close();
    }
}
