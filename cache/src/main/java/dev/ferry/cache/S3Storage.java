package dev.ferry.cache;

/** Placeholder: S3 storage is being written. */
final class S3Storage {
    private S3Storage() {
    }

    static Storage create(CacheUri uri) {
        throw new CacheException("s3:// caches are not supported yet");
    }
}
