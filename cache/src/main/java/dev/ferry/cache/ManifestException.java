package dev.ferry.cache;

/** A manifest could not be read, checked or written; the message says which generation and why. */
public class ManifestException extends CacheException {
    public ManifestException(String message) {
        super(message);
    }

    public ManifestException(String message, Throwable cause) {
        super(message, cause);
    }
}
