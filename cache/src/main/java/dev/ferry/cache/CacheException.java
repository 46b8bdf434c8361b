package dev.ferry.cache;

/** Something went wrong in the binary cache: storage, publishing, serving or manifests. */
public class CacheException extends RuntimeException {
    public CacheException(String message) {
        super(message);
    }

    public CacheException(String message, Throwable cause) {
        super(message, cause);
    }
}
