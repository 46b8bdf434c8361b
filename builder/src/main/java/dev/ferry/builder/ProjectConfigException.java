package dev.ferry.builder;

/** The project's Ferry config is invalid; the message names the field, e.g. {@code services.web.exec: ...}. */
public class ProjectConfigException extends BuildFailedException {
    public ProjectConfigException(String message) {
        super(message);
    }
}
