package dev.ferry.server;

import dev.ferry.cache.BinaryCache;
import dev.ferry.cache.Storage;
import dev.ferry.nix.SecretKey;

/**
 * What the {@code /cache} endpoints work on: the binary cache, the key that signs what is uploaded, who may upload,
 * how large an upload may be, and the metrics the downloads count in.
 */
record ServedCache(BinaryCache cache, SecretKey signingKey, UploadAuth uploads, long maxUploadSize, Metrics metrics) {
    ServedCache(BinaryCache cache, SecretKey signingKey, UploadAuth uploads, long maxUploadSize) {
        this(cache, signingKey, uploads, maxUploadSize, Metrics.create());
    }

    Storage storage() {
        return cache.storage();
    }
}
