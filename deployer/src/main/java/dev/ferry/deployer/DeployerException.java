package dev.ferry.deployer;

/** The deployer's one unchecked exception: its message names what failed and on which service, unit or route. */
public class DeployerException extends RuntimeException {
    public DeployerException(String message) {
        super(message);
    }

    public DeployerException(String message, Throwable cause) {
        super(message, cause);
    }
}
