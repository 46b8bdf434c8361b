package dev.ferry.server;

import dev.ferry.cache.BinaryCache;
import dev.ferry.cache.Storage;
import dev.ferry.nix.SecretKey;

/**
 * What the {@code /cache} endpoints work on: the binary cache, the key that signs what is uploaded, who may upload,
 * and how large an upload may be.
 */
record ServedCache(BinaryCache cache, SecretKey signingKey, UploadAuth uploads, long maxUploadSize) {
    Storage storage() {
        return cache.storage();
    }
}
