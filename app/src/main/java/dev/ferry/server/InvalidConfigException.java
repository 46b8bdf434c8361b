package dev.ferry.server;

/** A setting of {@code ferry serve} that cannot be used; the message names the key and the reason. */
public class InvalidConfigException extends RuntimeException {
    public InvalidConfigException(String key, String reason) {
        super(key + ": " + reason);
    }

    public InvalidConfigException(String key, String reason, Throwable cause) {
        super(key + ": " + reason, cause);
    }
}
