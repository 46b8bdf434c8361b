package dev.ferry.cache;

import java.time.Instant;
import java.util.Objects;

/**
 * An object as a listing shows it: its key, size in bytes and last-modified time (the local file's mtime, S3's
 * {@code LastModified}: when the object was last written).
 */
public record ObjectInfo(String key, long size, Instant lastModified) {
    public ObjectInfo {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(lastModified, "lastModified");
    }
}
