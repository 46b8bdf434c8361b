package dev.ferry.builder;

import java.util.Locale;

/** Where a build is: {@code queued -> running -> succeeded | failed | cancelled}; the last three are final. */
public enum BuildStatus {
    QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED;

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public boolean finished() {
        return this == SUCCEEDED || this == FAILED || this == CANCELLED;
    }

    static BuildStatus of(String id) {
        return valueOf(id.toUpperCase(Locale.ROOT));
    }
}
