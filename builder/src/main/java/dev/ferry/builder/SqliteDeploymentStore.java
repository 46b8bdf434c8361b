package dev.ferry.builder;

import io.helidon.dbclient.DbRow;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/** {@link DeploymentStore} in the deployments table. */
public final class SqliteDeploymentStore implements DeploymentStore {
    private static final String COLUMNS = "name, project, ref_kind, ref_name, pr_number, commit_id, build_id, "
            + "generation, services, sites, domains, updated_at";

    private final Database db;

    SqliteDeploymentStore(Database db) {
        this.db = db;
    }

    /** The deployments table of {@code db} (which must be migrated). */
    public static DeploymentStore create(Database db) {
        db.requireCurrent();
        return new SqliteDeploymentStore(db);
    }

    @Override
    public List<Deployment> all() {
        return db.read(r -> {
            try (Stream<DbRow> rows = r.query("SELECT " + COLUMNS + " FROM deployments ORDER BY name")) {
                return rows.map(SqliteDeploymentStore::deployment).toList();
            }
        });
    }

    @Override
    public Optional<Deployment> find(String name) {
        return db.read(r -> r.get("SELECT " + COLUMNS + " FROM deployments WHERE name = ?", name)
                .map(SqliteDeploymentStore::deployment));
    }

    @Override
    public void save(Deployment d) {
        db.write(w -> w.dml("INSERT INTO deployments (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                        + "ON CONFLICT (name) DO UPDATE SET project = excluded.project, ref_kind = excluded.ref_kind, "
                        + "ref_name = excluded.ref_name, pr_number = excluded.pr_number, "
                        + "commit_id = excluded.commit_id, build_id = excluded.build_id, "
                        + "generation = excluded.generation, services = excluded.services, sites = excluded.sites, "
                        + "domains = excluded.domains, updated_at = excluded.updated_at",
                d.name(), d.project(), Rows.refKind(d.ref()), Rows.refName(d.ref()), Rows.prNumber(d.ref()),
                d.commit(), d.buildId(), d.generation(), Rows.json(d.services()), Rows.json(d.sites()),
                Rows.json(d.domains()), d.updatedAt().toEpochMilli()));
    }

    @Override
    public void delete(String name) {
        db.write(w -> w.delete("DELETE FROM deployments WHERE name = ?", name));
    }

    private static Deployment deployment(DbRow row) {
        return new Deployment(Rows.string(row, "name"), Rows.string(row, "project"), Rows.ref(row),
                Rows.string(row, "commit_id"), Rows.number(row, "build_id"), Rows.number(row, "generation"),
                Rows.stringList(Rows.string(row, "services")), Rows.stringList(Rows.string(row, "sites")),
                Rows.stringList(Rows.string(row, "domains")), Rows.instant(row, "updated_at"));
    }
}
