package dev.ferry.builder;

/**
 * Ferry's state cannot be read or written: the database file cannot be opened, its schema is newer than this Ferry
 * knows, a statement failed. The message names the database file or what was being done.
 */
public class StateException extends RuntimeException {
    public StateException(String message) {
        super(message);
    }

    public StateException(String message, Throwable cause) {
        super(message, cause);
    }
}
