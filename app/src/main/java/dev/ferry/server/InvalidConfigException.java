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

    /**
     * From another module's {@code "ferry.some.key: reason"} message (the deployer's, the pipeline's): that key and
     * reason, or {@code fallbackKey} when the message does not start with a key.
     */
    public static InvalidConfigException named(String message, String fallbackKey, RuntimeException cause) {
        int colon = message.indexOf(": ");
        return colon > 0 && message.startsWith("ferry.") && !message.substring(0, colon).contains(" ")
                ? new InvalidConfigException(message.substring(0, colon), message.substring(colon + 2), cause)
                : new InvalidConfigException(fallbackKey, message, cause);
    }

    /** The key (or {@code --config}) the problem is about. */
    public String key() {
        return key;
    }

    public String reason() {
        return reason;
    }
}
