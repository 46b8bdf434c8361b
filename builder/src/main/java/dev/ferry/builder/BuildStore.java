package dev.ferry.builder;

import com.fasterxml.jackson.core.type.TypeReference;
import io.helidon.dbclient.DbExecute;
import io.helidon.dbclient.DbRow;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.stream.Stream;

/** The builds table, with the webhook delivery (if any) that asked for each. */
public final class BuildStore {
    private static final String COLUMNS = "id, project, action, ref_kind, ref_name, pr_number, commit_id, status, "
            + "phase, phases, outputs, generation, error, trigger, delivery_id, attempt, retry_of, created_at, "
            + "started_at, finished_at";

    /** The most deliveries recorded by one statement (13 parameters each). */
    private static final int MAX_DELIVERIES_PER_INSERT = 64;

    private final Database db;
    private final Combiner<ForDelivery, Recorded> deliveries;

    BuildStore(Database db) {
        this.db = db;
        this.deliveries = new Combiner<>(this::recordDeliveries, MAX_DELIVERIES_PER_INSERT);
    }

    public static BuildStore create(Database db) {
        db.requireCurrent();
        return new BuildStore(db);
    }

    /** A build or teardown to record, queued. */
    public record NewBuild(String project, BuildRecord.Action action, BuildRef ref, Optional<String> commit,
                           BuildRecord.Trigger trigger, Optional<String> deliveryId, int attempt,
                           OptionalLong retryOf) {
        public NewBuild {
            Objects.requireNonNull(project, "project");
            Objects.requireNonNull(action, "action");
            Objects.requireNonNull(ref, "ref");
            Objects.requireNonNull(commit, "commit");
            if ((action == BuildRecord.Action.BUILD) != commit.isPresent()) {
                throw new IllegalArgumentException("a build has a commit, a teardown none");
            }
        }

        public static NewBuild build(String project, BuildRef ref, String commit, BuildRecord.Trigger trigger) {
            return new NewBuild(project, BuildRecord.Action.BUILD, ref, Optional.of(commit), trigger,
                    Optional.empty(), 1, OptionalLong.empty());
        }

        public static NewBuild teardown(String project, BuildRef ref, BuildRecord.Trigger trigger) {
            return new NewBuild(project, BuildRecord.Action.TEARDOWN, ref, Optional.empty(), trigger,
                    Optional.empty(), 1, OptionalLong.empty());
        }

        public NewBuild withDelivery(String id) {
            return new NewBuild(project, action, ref, commit, trigger, Optional.of(id), attempt, retryOf);
        }
    }

    /** What recording a webhook delivery did: {@code created} is false when the delivery id was seen before. */
    public record Recorded(BuildRecord build, boolean created) {
    }

    public BuildRecord insert(NewBuild build) {
        return db.write(w -> insert(w, build));
    }

    /**
     * Records a build for a webhook delivery, or, if a delivery with this id was recorded before, returns that
     * delivery's build and records nothing. Concurrent deliveries are recorded together, in one statement (see
     * {@link Combiner}); the unique index on the delivery id decides which is new, so concurrent repeats of a
     * delivery create one build.
     */
    public Recorded insertForDelivery(String forge, String event, String deliveryId, NewBuild build) {
        return deliveries.submit(new ForDelivery(forge, event, build.withDelivery(deliveryId)));
    }

    /** A build to record for a webhook delivery, with the delivery's forge and event type. */
    private record ForDelivery(String forge, String event, NewBuild build) {
    }

    /** One {@code INSERT} of every build of the batch; the repeats of a delivery recorded before are looked up. */
    private List<Recorded> recordDeliveries(List<ForDelivery> batch) {
        return db.write(w -> {
            long createdAt = db.clock().millis();
            StringBuilder sql = new StringBuilder(INSERT);
            List<Object> params = new ArrayList<>();
            for (ForDelivery d : batch) {
                sql.append(params.isEmpty() ? "" : ", ").append(VALUES);
                params.addAll(values(d.build(), Optional.of(d), createdAt));
            }
            sql.append(ON_CONFLICT).append(" RETURNING id, delivery_id");
            Map<String, Long> created = new HashMap<>();
            try (Stream<DbRow> rows = w.query(sql.toString(), params.toArray())) {
                rows.forEach(row -> created.put(Rows.string(row, "delivery_id"), Rows.number(row, "id")));
            }
            List<Recorded> recorded = new ArrayList<>();
            for (ForDelivery d : batch) {
                String id = d.build().deliveryId().orElseThrow();
                Long newId = created.remove(id);
                recorded.add(newId != null
                        ? new Recorded(inserted(newId, d.build(), createdAt), true)
                        : new Recorded(forDelivery(w, id).orElseThrow(), false));
            }
            return recorded;
        });
    }

    /** The build an earlier delivery with this id recorded. */
    public Optional<BuildRecord> forDelivery(String deliveryId) {
        return db.read(r -> forDelivery(r, deliveryId));
    }

    private static Optional<BuildRecord> forDelivery(DbExecute r, String deliveryId) {
        return r.get("SELECT " + COLUMNS + " FROM builds WHERE delivery_id = ?", deliveryId).map(BuildStore::record);
    }

    private static final String INSERT = "INSERT INTO builds (project, action, ref_kind, ref_name, pr_number, "
            + "commit_id, status, phase, phases, trigger, delivery_id, delivery_forge, delivery_event, attempt, "
            + "retry_of, created_at) VALUES ";
    private static final String VALUES = "(?, ?, ?, ?, ?, ?, 'queued', 'queued', '[]', ?, ?, ?, ?, ?, ?, ?)";
    private static final String ON_CONFLICT = " ON CONFLICT (delivery_id) WHERE delivery_id IS NOT NULL DO NOTHING";

    /** One statement: only the new id comes back ({@code RETURNING}, SQLite 3.35+); the rest is what was written. */
    private BuildRecord insert(DbExecute tx, NewBuild build) {
        long createdAt = db.clock().millis();
        long id = tx.get(INSERT + VALUES + " RETURNING id", values(build, Optional.empty(), createdAt).toArray())
                .map(row -> Rows.number(row, "id")).orElseThrow();
        return inserted(id, build, createdAt);
    }

    private static List<Object> values(NewBuild build, Optional<ForDelivery> delivery, long createdAt) {
        return Arrays.asList(build.project(), lower(build.action()), Rows.refKind(build.ref()),
                Rows.refName(build.ref()), Rows.prNumber(build.ref()), build.commit().orElse(null),
                lower(build.trigger()), build.deliveryId().orElse(null), delivery.map(ForDelivery::forge).orElse(null),
                delivery.map(ForDelivery::event).orElse(null), build.attempt(),
                build.retryOf().isPresent() ? build.retryOf().getAsLong() : null, createdAt);
    }

    /** The row {@link #values} wrote, as read back. */
    private static BuildRecord inserted(long id, NewBuild build, long createdAt) {
        return new BuildRecord(id, build.project(), build.action(), build.ref(), build.commit(), BuildStatus.QUEUED,
                Optional.of(Phase.QUEUED), List.of(), Map.of(), OptionalLong.empty(), Optional.empty(),
                build.trigger(), build.deliveryId(), build.attempt(), build.retryOf(), Instant.ofEpochMilli(createdAt),
                Optional.empty(), Optional.empty());
    }

    public Optional<BuildRecord> find(long id) {
        return db.read(r -> find(r, id));
    }

    private static Optional<BuildRecord> find(DbExecute r, long id) {
        return r.get("SELECT " + COLUMNS + " FROM builds WHERE id = ?", id).map(BuildStore::record);
    }

    /** The newest builds first, optionally of one project and one branch (a pull request's head branch counts). */
    public List<BuildRecord> list(Optional<String> project, Optional<String> branch, int limit) {
        StringBuilder sql = new StringBuilder("SELECT " + COLUMNS + " FROM builds WHERE 1 = 1");
        List<Object> params = new ArrayList<>();
        project.ifPresent(p -> {
            sql.append(" AND project = ?");
            params.add(p);
        });
        branch.ifPresent(b -> {
            sql.append(" AND ref_name = ?");
            params.add(b);
        });
        sql.append(" ORDER BY id DESC LIMIT ?");
        params.add(limit);
        return db.read(r -> {
            try (Stream<DbRow> rows = r.query(sql.toString(), params.toArray())) {
                return rows.map(BuildStore::record).toList();
            }
        });
    }

    public List<BuildRecord> withStatus(BuildStatus status) {
        return db.read(r -> {
            try (Stream<DbRow> rows = r.query("SELECT " + COLUMNS + " FROM builds WHERE status = ? ORDER BY id",
                    status.id())) {
                return rows.map(BuildStore::record).toList();
            }
        });
    }

    void markRunning(long id, Instant startedAt, List<BuildRecord.PhaseTiming> phases, Phase phase) {
        db.write(w -> w.update("UPDATE builds SET status = 'running', started_at = ?, phase = ?, phases = ? "
                + "WHERE id = ?", startedAt.toEpochMilli(), phase.id(), phasesJson(phases), id));
    }

    void updatePhases(long id, Phase phase, List<BuildRecord.PhaseTiming> phases) {
        db.write(w -> w.update("UPDATE builds SET phase = ?, phases = ? WHERE id = ?", phase.id(),
                phasesJson(phases), id));
    }

    /** A queued build cancelled before it started: it ends {@code cancelled} after its queued time. */
    public record QueuedCancel(long id, Instant createdAt, Instant at, String reason) {
        public QueuedCancel {
            Objects.requireNonNull(createdAt, "createdAt");
            Objects.requireNonNull(at, "at");
            Objects.requireNonNull(reason, "reason");
        }

        public QueuedCancel(BuildRecord build, Instant at, String reason) {
            this(build.id(), build.createdAt(), at, reason);
        }

        /** Its one phase: queued from its creation until {@code at}. */
        List<BuildRecord.PhaseTiming> phases() {
            Duration queued = Duration.between(createdAt, at);
            return List.of(new BuildRecord.PhaseTiming(Phase.QUEUED, createdAt,
                    queued.isNegative() ? Duration.ZERO : queued));
        }
    }

    /** The most rows one {@link #cancelQueued} statement ends (4 parameters each). */
    private static final int MAX_CANCELS_PER_UPDATE = 300;

    /**
     * Ends queued builds cancelled before they started, in one statement per {@value #MAX_CANCELS_PER_UPDATE}:
     * status {@code cancelled}, the reason as error, and one phase, {@code queued}, lasting until then. A row no longer
     * queued is left as it is.
     */
    void cancelQueued(List<QueuedCancel> cancels) {
        for (int from = 0; from < cancels.size(); from += MAX_CANCELS_PER_UPDATE) {
            List<QueuedCancel> chunk = cancels.subList(from, Math.min(cancels.size(), from + MAX_CANCELS_PER_UPDATE));
            List<Object> params = new ArrayList<>();
            StringBuilder values = new StringBuilder();
            for (QueuedCancel cancel : chunk) {
                values.append(values.isEmpty() ? "(?, ?, ?, ?)" : ", (?, ?, ?, ?)");
                params.addAll(List.of(cancel.id(), cancel.at().toEpochMilli(), cancel.reason(),
                        phasesJson(cancel.phases())));
            }
            // column1..4 of the VALUES list: id, when, why, phases.
            db.write(w -> w.update("UPDATE builds SET status = 'cancelled', phase = 'queued', phases = e.column4, "
                    + "error = e.column3, finished_at = e.column2 "
                    + "FROM (VALUES " + values + ") AS e WHERE builds.id = e.column1 AND builds.status = 'queued'",
                    params.toArray()));
        }
    }

    /** Ends a queued or running build; a build already finished is left as it is (false). */
    boolean finish(long id, BuildStatus status, List<BuildRecord.PhaseTiming> phases, Map<String, String> outputs,
                   OptionalLong generation, Optional<String> error) {
        if (!status.finished()) {
            throw new IllegalArgumentException(status + " is not final");
        }
        return db.write(w -> w.update("UPDATE builds SET status = ?, phases = ?, outputs = ?, generation = ?, "
                        + "error = ?, finished_at = ? WHERE id = ? AND status IN ('queued', 'running')", status.id(),
                phasesJson(phases), Rows.json(outputs), generation.isPresent() ? generation.getAsLong() : null,
                error.orElse(null), db.clock().millis(), id)) == 1;
    }

    /**
     * After a restart: every build left {@code running} was interrupted. It ends {@code failed} with error
     * {@code interrupted}, and one on its first attempt (a build or a teardown: a deployment must not stay up because
     * its teardown was interrupted) is recorded again as attempt 2, queued. Returns the new rows.
     */
    List<BuildRecord> recoverInterrupted() {
        return db.transaction(tx -> {
            List<BuildRecord> running;
            try (Stream<DbRow> rows = tx.query("SELECT " + COLUMNS + " FROM builds WHERE status = 'running' "
                    + "ORDER BY id")) {
                running = rows.map(BuildStore::record).toList();
            }
            // A retry gets a new, higher id: it must not supersede a newer build of its ref that is still queued.
            Map<String, Long> newestQueued = new HashMap<>();
            try (Stream<DbRow> rows = tx.query("SELECT " + COLUMNS + " FROM builds WHERE status = 'queued'")) {
                rows.map(BuildStore::record).forEach(q -> newestQueued.merge(q.refKey(), q.id(), Math::max));
            }
            List<BuildRecord> retries = new ArrayList<>();
            for (BuildRecord build : running) {
                List<BuildRecord.PhaseTiming> phases = closePhases(build.phases(), Instant.ofEpochMilli(db.clock().millis()));
                boolean superseded = newestQueued.getOrDefault(build.refKey(), 0L) > build.id();
                tx.update("UPDATE builds SET status = 'failed', error = ?, phases = ?, finished_at = ? WHERE id = ?",
                        superseded ? "interrupted; not retried: build " + newestQueued.get(build.refKey()) + " is newer"
                                : "interrupted", phasesJson(phases), db.clock().millis(), build.id());
                if (build.attempt() == 1 && !superseded) {
                    retries.add(insert(tx, new NewBuild(build.project(), build.action(), build.ref(), build.commit(),
                            BuildRecord.Trigger.RETRY, Optional.empty(), 2, OptionalLong.of(build.id()))));
                }
            }
            return retries;
        });
    }

    /** The last phase's duration set to last until {@code end}. */
    static List<BuildRecord.PhaseTiming> closePhases(List<BuildRecord.PhaseTiming> phases, Instant end) {
        if (phases.isEmpty()) {
            return phases;
        }
        List<BuildRecord.PhaseTiming> closed = new ArrayList<>(phases);
        BuildRecord.PhaseTiming last = closed.removeLast();
        closed.add(new BuildRecord.PhaseTiming(last.phase(), last.startedAt(),
                Duration.between(last.startedAt(), end)));
        return closed;
    }

    private static String lower(Enum<?> value) {
        return value.name().toLowerCase(Locale.ROOT);
    }

    static String phasesJson(List<BuildRecord.PhaseTiming> phases) {
        List<Map<String, Object>> list = new ArrayList<>();
        for (BuildRecord.PhaseTiming timing : phases) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("phase", timing.phase().id());
            entry.put("startedAt", timing.startedAt().toEpochMilli());
            entry.put("durationMs", timing.duration().toMillis());
            list.add(entry);
        }
        return Rows.json(list);
    }

    private static List<BuildRecord.PhaseTiming> phases(String json) {
        List<Map<String, Object>> list = Rows.parse(json, new TypeReference<List<Map<String, Object>>>() { });
        return list.stream().map(m -> new BuildRecord.PhaseTiming(
                Phase.valueOf(m.get("phase").toString().toUpperCase(Locale.ROOT)),
                Instant.ofEpochMilli(((Number) m.get("startedAt")).longValue()),
                Duration.ofMillis(((Number) m.get("durationMs")).longValue()))).toList();
    }

    private static BuildRecord record(DbRow row) {
        return new BuildRecord(Rows.number(row, "id"), Rows.string(row, "project"),
                BuildRecord.Action.valueOf(Rows.string(row, "action").toUpperCase(Locale.ROOT)), Rows.ref(row),
                Rows.optionalString(row, "commit_id"), BuildStatus.of(Rows.string(row, "status")),
                Rows.optionalString(row, "phase").map(p -> Phase.valueOf(p.toUpperCase(Locale.ROOT))),
                phases(Rows.string(row, "phases")), Rows.stringMap(Rows.string(row, "outputs")),
                Rows.optionalNumber(row, "generation"), Rows.optionalString(row, "error"),
                BuildRecord.Trigger.valueOf(Rows.string(row, "trigger").toUpperCase(Locale.ROOT)),
                Rows.optionalString(row, "delivery_id"), (int) Rows.number(row, "attempt"),
                Rows.optionalNumber(row, "retry_of"), Rows.instant(row, "created_at"),
                Rows.optionalInstant(row, "started_at"), Rows.optionalInstant(row, "finished_at"));
    }
}
