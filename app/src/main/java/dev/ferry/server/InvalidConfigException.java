package dev.ferry.server;

/** A setting of {@code ferry serve} that cannot be used; the message names the key and the reason. */
public class InvalidConfigException extends RuntimeException {
    private final String key;
    private final String reason;

    public InvalidConfigException(String key, String reason) {
        this(key, reason, null);
    }

    public InvalidConfigException(String key, String reason, Throwable cause) {
        super(key + ": " + reason, cause);
        this.key = key;
        this.reason = reason;
    }

    /** The key (or {@code --config}) the problem is about. */
    public String key() {
        return key;
    }

    public String reason() {
        return reason;
    }
}
