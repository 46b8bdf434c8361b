package dev.ferry.builder;

import java.util.Objects;

/** One build: a commit of a ref of a project; {@code buildId} is its row in the database. */
public record BuildRequest(long buildId, Project project, BuildRef ref, String commit) {
    public BuildRequest {
        Objects.requireNonNull(project, "project");
        Objects.requireNonNull(ref, "ref");
        Objects.requireNonNull(commit, "commit");
    }
}
