package dev.ferry.cache;

/** An object key that is not allowed: empty, absolute, with {@code .} or {@code ..} segments or odd characters. */
public class InvalidKeyException extends CacheException {
    public InvalidKeyException(String message) {
        super(message);
    }
}
