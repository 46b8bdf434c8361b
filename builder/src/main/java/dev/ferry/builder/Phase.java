package dev.ferry.builder;

/** The phases of a build, in order; each is recorded with its duration. */
public enum Phase {
    QUEUED, FETCH, EVAL, BUILD, PUBLISH, RELEASE;

    /** The name used in the API and the database: lower case. */
    public String id() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
