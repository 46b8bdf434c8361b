package dev.ferry.deployer;

/** The deployer's one unchecked exception: its message names what failed and on which service, unit or route. */
public class DeployerException extends RuntimeException {
    public DeployerException(String message) {
        super(message);
    }

    public DeployerException(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * What went wrong, for a message: the first message in {@code e}'s chain of causes, else its class's name. The JDK's
     * HTTP client throws {@link java.net.ConnectException} and others without a message.
     */
    public static String reason(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t.getMessage() != null && !t.getMessage().isBlank()) {
                return t.getMessage();
            }
        }
        return e instanceof java.net.ConnectException ? "connection refused" : e.getClass().getSimpleName();
    }
}
