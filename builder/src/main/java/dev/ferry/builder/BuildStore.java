package dev.ferry.builder;

import com.fasterxml.jackson.core.type.TypeReference;
import io.helidon.dbclient.DbExecute;
import io.helidon.dbclient.DbRow;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.stream.Stream;

/** The builds and webhook deliveries tables. */
public final class BuildStore {
    private static final String COLUMNS = "id, project, action, ref_kind, ref_name, pr_number, commit_id, status, "
            + "phase, phases, outputs, generation, error, trigger, delivery_id, attempt, retry_of, created_at, "
            + "started_at, finished_at";

    private final Database db;

    BuildStore(Database db) {
        this.db = db;
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
        return db.transaction(tx -> insert(tx, build));
    }

    /**
     * Records a build for a webhook delivery, or, if a delivery with this id was recorded before, returns that
     * delivery's build and records nothing (in one transaction, so two concurrent repeats create one build).
     */
    public Recorded insertForDelivery(String forge, String event, String deliveryId, NewBuild build) {
        return db.transaction(tx -> {
            Optional<Long> earlier = tx.get("SELECT build_id FROM webhook_deliveries WHERE delivery_id = ?", deliveryId)
                    .map(row -> Rows.number(row, "build_id"));
            if (earlier.isPresent()) {
                return new Recorded(find(tx, earlier.get()).orElseThrow(), false);
            }
            BuildRecord recorded = insert(tx, build.withDelivery(deliveryId));
            tx.insert("INSERT INTO webhook_deliveries (delivery_id, forge, event, build_id, received_at) "
                    + "VALUES (?, ?, ?, ?, ?)", deliveryId, forge, event, recorded.id(), db.clock().millis());
            return new Recorded(recorded, true);
        });
    }

    /** The build an earlier delivery with this id recorded. */
    public Optional<BuildRecord> forDelivery(String deliveryId) {
        return db.read(r -> r.get("SELECT build_id FROM webhook_deliveries WHERE delivery_id = ?", deliveryId)
                .flatMap(row -> find(r, Rows.number(row, "build_id"))));
    }

    /** One statement: the row as inserted comes back ({@code RETURNING}, SQLite 3.35+). */
    private BuildRecord insert(DbExecute tx, NewBuild build) {
        return tx.get("INSERT INTO builds (project, action, ref_kind, ref_name, pr_number, commit_id, status, phase, "
                        + "phases, trigger, delivery_id, attempt, retry_of, created_at) "
                        + "VALUES (?, ?, ?, ?, ?, ?, 'queued', 'queued', '[]', ?, ?, ?, ?, ?) RETURNING " + COLUMNS,
                build.project(), lower(build.action()), Rows.refKind(build.ref()), Rows.refName(build.ref()),
                Rows.prNumber(build.ref()), build.commit().orElse(null), lower(build.trigger()),
                build.deliveryId().orElse(null), build.attempt(),
                build.retryOf().isPresent() ? build.retryOf().getAsLong() : null, db.clock().millis())
                .map(BuildStore::record).orElseThrow();
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
            List<BuildRecord> retries = new ArrayList<>();
            for (BuildRecord build : running) {
                List<BuildRecord.PhaseTiming> phases = closePhases(build.phases(), Instant.ofEpochMilli(db.clock().millis()));
                tx.update("UPDATE builds SET status = 'failed', error = 'interrupted', phases = ?, finished_at = ? "
                        + "WHERE id = ?", phasesJson(phases), db.clock().millis(), build.id());
                if (build.attempt() == 1) {
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
