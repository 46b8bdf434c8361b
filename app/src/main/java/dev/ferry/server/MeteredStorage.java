package dev.ferry.server;

import dev.ferry.cache.ForwardingStorage;
import dev.ferry.cache.Storage;
import java.nio.charset.StandardCharsets;

/**
 * The server's storage, counting what is written for {@link Metrics}: narinfos (paths published, by builds and by
 * uploads alike), NAR bytes, and manifest generations (not abandoned ones). Everything else passes through.
 */
final class MeteredStorage extends ForwardingStorage {
    private final Metrics metrics;

    MeteredStorage(Storage storage, Metrics metrics) {
        super(storage);
        this.metrics = metrics;
    }

    @Override
    public long write(String key, long sizeHint, ContentWriter writer) {
        long written = delegate.write(key, sizeHint, writer);
        if (key.startsWith(dev.ferry.cache.BinaryCache.NAR_PREFIX)) {
            metrics.narBytesPublished(written);
        }
        return written;
    }

    @Override
    public void put(String key, byte[] content) {
        delegate.put(key, content);
        if (key.endsWith(".narinfo")) {
            metrics.pathPublished();
        }
    }

    @Override
    public boolean createIfAbsent(String key, byte[] content) {
        boolean created = delegate.createIfAbsent(key, content);
        if (created && key.matches("manifests/manifest-\\d+\\.json")
                && !new String(content, StandardCharsets.UTF_8).contains("\"abandoned\"")) {
            metrics.generationWritten();
        }
        return created;
    }
}
