package dev.ferry.builder;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A row of the builds table: a build of a commit, or the teardown of a ref's deployment.
 *
 * @param commit     the commit built; empty for a teardown
 * @param phase      the phase it is in (or ended in)
 * @param phases     the phases entered so far, in order, each with its duration (the current one: so far)
 * @param outputs    package name to store path, once succeeded
 * @param generation the manifest generation the build wrote, if it wrote one
 * @param error      why it failed or was cancelled
 * @param retryOf    the build this one repeats after a restart interrupted it
 */
public record BuildRecord(long id, String project, Action action, BuildRef ref, Optional<String> commit,
                          BuildStatus status, Optional<Phase> phase, List<PhaseTiming> phases,
                          Map<String, String> outputs, OptionalLong generation, Optional<String> error,
                          Trigger trigger, Optional<String> deliveryId, int attempt, OptionalLong retryOf,
                          Instant createdAt, Optional<Instant> startedAt, Optional<Instant> finishedAt) {

    public enum Action { BUILD, TEARDOWN }

    /** What asked for it. */
    public enum Trigger { WEBHOOK, API, RETRY }

    /** One phase of a build: when it was entered and how long it lasted. */
    public record PhaseTiming(Phase phase, Instant startedAt, Duration duration) {
        public PhaseTiming {
            Objects.requireNonNull(phase, "phase");
            Objects.requireNonNull(startedAt, "startedAt");
            Objects.requireNonNull(duration, "duration");
        }
    }

    public BuildRecord {
        Objects.requireNonNull(project, "project");
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(ref, "ref");
        Objects.requireNonNull(commit, "commit");
        Objects.requireNonNull(status, "status");
        phases = List.copyOf(phases);
        outputs = Map.copyOf(outputs);
        Objects.requireNonNull(createdAt, "createdAt");
    }

    /** Project and ref: builds with the same key supersede each other. */
    public String refKey() {
        return refKey(project, ref);
    }

    static String refKey(String project, BuildRef ref) {
        return switch (ref) {
            case BuildRef.Branch b -> project + "\u0000branch\u0000" + b.name();
            case BuildRef.PullRequest p -> project + "\u0000pr\u0000" + p.number();
        };
    }
}
