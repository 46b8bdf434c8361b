package dev.ferry.builder;

/** A build failed for a reason its user can act on; the message says which (and is shown in the API). */
public class BuildFailedException extends RuntimeException {
    public BuildFailedException(String message) {
        super(message);
    }

    public BuildFailedException(String message, Throwable cause) {
        super(message, cause);
    }
}
