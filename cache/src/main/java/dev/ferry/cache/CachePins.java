package dev.ferry.cache;

import dev.ferry.nix.NixFormatException;
import dev.ferry.nix.StorePath;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Store paths pinned in a cache: {@link CacheGc} keeps their closures whatever the manifests say. A pin is the object
 * {@code pins/<hash>} holding the store path and a newline, kept in the cache's own storage so that every collection
 * of that cache sees it, whoever runs it.
 */
public final class CachePins {
    public static final String PREFIX = "pins/";
    private static final int MAX_BYTES = 1024;

    private final Storage storage;
    private final BinaryCache cache;

    private CachePins(Storage storage) {
        this.storage = storage;
        this.cache = new BinaryCache(storage);
    }

    public static CachePins create(Storage storage) {
        return new CachePins(storage);
    }

    /** A pinned path and when it was pinned (the pin object's last-modified time). */
    public record Pin(StorePath path, Instant pinnedAt) {
    }

    public static String key(StorePath path) {
        return PREFIX + path.hashPart();
    }

    /**
     * Pins {@code path}, which must be in the cache (a pin of a path the cache lacks would keep nothing and most
     * likely names the wrong path). Returns false if it was pinned already.
     */
    public boolean pin(StorePath path) {
        if (!cache.hasNarInfo(path)) {
            throw new CacheException("cannot pin " + path + ": it is not in " + storage.uri() + " (publish it first)");
        }
        return storage.createIfAbsent(key(path), (path.absolute() + "\n").getBytes(StandardCharsets.UTF_8));
    }

    /** Removes the pin of {@code path}; returns false if it was not pinned. */
    public boolean unpin(StorePath path) {
        if (!storage.exists(key(path))) {
            return false;
        }
        storage.delete(key(path));
        return true;
    }

    /** Every pin, sorted by hash. A pin object that does not hold its own store path is an error naming it. */
    public List<Pin> list() {
        List<Pin> pins = new ArrayList<>();
        for (ObjectInfo object : storage.listInfo(PREFIX)) {
            read(object).ifPresent(path -> pins.add(new Pin(path, object.lastModified())));
        }
        return pins;
    }

    private java.util.Optional<StorePath> read(ObjectInfo object) {
        String key = object.key();
        return storage.open(key).map(stored -> {
            try (stored) {
                byte[] bytes = stored.body().readNBytes(MAX_BYTES + 1);
                StorePath path = StorePath.parse(new String(bytes, StandardCharsets.UTF_8).strip());
                if (bytes.length > MAX_BYTES || !key.equals(key(path))) {
                    throw new NixFormatException("it holds " + path + ", whose pin is " + key(path));
                }
                return path;
            } catch (IOException e) {
                throw new CacheException("reading " + key + " from " + storage.uri() + " failed: " + e.getMessage(), e);
            } catch (NixFormatException e) {
                throw new CacheException("the pin " + key + " in " + storage.uri() + " is not a pin written by Ferry: "
                        + e.getMessage() + "; delete it or write the store path into it", e);
            }
        });
    }
}
