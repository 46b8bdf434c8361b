package dev.ferry.builder;

import dev.ferry.webhook.Repository;
import io.helidon.dbclient.DbRow;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The projects table: those configured in {@code ferry.projects} (re-synced at every start: config wins) and those
 * added through the API (kept until removed).
 */
public final class ProjectStore {
    private static final System.Logger LOG = System.getLogger(ProjectStore.class.getName());
    /** A project name: the prefix of its deployments' names and of their host names. */
    public static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,39}");

    private final Database db;
    /** Bumped after every write; the cached list is good while its version is the current one. */
    private final AtomicLong version = new AtomicLong();
    private volatile Cached cached;

    private record Cached(long version, List<StoredProject> projects) {
    }

    private ProjectStore(Database db) {
        this.db = db;
    }

    public static ProjectStore create(Database db) {
        db.requireCurrent();
        return new ProjectStore(db);
    }

    /** Where a project came from. */
    public enum Source { CONFIG, API }

    public record StoredProject(Project project, Source source) {
    }

    /**
     * Makes the configured projects those of the table with source config (others configured before are dropped). A
     * configured project takes the place of one of its name added through the API (said in the log), and one that is
     * the same repository as a project added through the API is said too: deliveries for it are refused (409).
     */
    public void syncConfigured(List<Project> configured) {
        for (StoredProject added : all()) {
            if (added.source() != Source.API) {
                continue;
            }
            for (Project project : configured) {
                if (project.name().equals(added.project().name())) {
                    LOG.log(System.Logger.Level.WARNING, "project {0}, added through the API ({1}), is now configured "
                            + "in ferry.projects ({2}): the configuration''s entry replaces it, and removing it from the "
                            + "configuration removes the project", project.name(), added.project().redactedCloneUrl(),
                            project.redactedCloneUrl());
                } else if (Repository.sameRepository(project.cloneUrl(), added.project().cloneUrl())) {
                    LOG.log(System.Logger.Level.WARNING, "configured project {0} and project {1}, added through the "
                            + "API, are one repository ({2}): its webhook deliveries are refused (409, or 401) until one of "
                            + "them goes", project.name(), added.project().name(), project.redactedCloneUrl());
                }
            }
        }
        db.transaction(tx -> {
            tx.delete("DELETE FROM projects WHERE source = 'config'");
            for (Project project : configured) {
                tx.dml("INSERT INTO projects (name, clone_url, production_branch, source, created_at) "
                                + "VALUES (?, ?, ?, 'config', ?) ON CONFLICT (name) DO UPDATE SET "
                                + "clone_url = excluded.clone_url, production_branch = excluded.production_branch, "
                                + "source = 'config'",
                        project.name(), project.cloneUrl(), project.productionBranch(), db.clock().millis());
            }
            return null;
        });
        version.incrementAndGet();
    }

    /** Why {@link #add} added nothing: {@code project} has the name, or a clone URL for the same repository. */
    public record Conflict(String project, Reason reason) {
        public enum Reason { NAME, REPOSITORY }
    }

    /**
     * Adds a project; a {@link Conflict} (and nothing written) when one has its name or its repository: a clone URL
     * that is the same once normalised as webhook deliveries are matched ({@link Repository#sameRepository}), so that
     * the repository's deliveries would go to two projects.
     */
    public Optional<Conflict> add(Project project) {
        if (!NAME.matcher(project.name()).matches()) {
            throw new IllegalArgumentException("project name '" + project.name() + "' must match " + NAME.pattern());
        }
        Optional<Conflict> conflict = db.transaction(tx -> {
            List<Project> existing;
            try (Stream<DbRow> rows = tx.query("SELECT name, clone_url, production_branch, source FROM projects "
                    + "ORDER BY name")) {
                existing = rows.map(ProjectStore::stored).map(StoredProject::project).toList();
            }
            Optional<Conflict> found = existing.stream().filter(p -> p.name().equals(project.name())).findFirst()
                    .map(p -> new Conflict(p.name(), Conflict.Reason.NAME))
                    .or(() -> existing.stream().filter(p -> Repository.sameRepository(p.cloneUrl(),
                            project.cloneUrl())).findFirst().map(p -> new Conflict(p.name(),
                            Conflict.Reason.REPOSITORY)));
            if (found.isEmpty()) {
                tx.dml("INSERT INTO projects (name, clone_url, production_branch, source, created_at) "
                                + "VALUES (?, ?, ?, 'api', ?)", project.name(), project.cloneUrl(),
                        project.productionBranch(), db.clock().millis());
            }
            return found;
        });
        version.incrementAndGet();
        return conflict;
    }

    /**
     * Every project, by name. Kept in memory between writes through this store (the server's only writer of the
     * table): every webhook delivery looks its repository up here.
     */
    public List<StoredProject> all() {
        long current = version.get();
        Cached c = cached;
        if (c != null && c.version() == current) {
            return c.projects();
        }
        List<StoredProject> projects = db.read(r -> {
            try (Stream<DbRow> rows = r.query("SELECT name, clone_url, production_branch, source FROM projects "
                    + "ORDER BY name")) {
                return rows.map(ProjectStore::stored).toList();
            }
        });
        cached = new Cached(current, projects);
        return projects;
    }

    public Optional<StoredProject> find(String name) {
        return all().stream().filter(p -> p.project().name().equals(name)).findFirst();
    }

    private static StoredProject stored(DbRow row) {
        return new StoredProject(new Project(Rows.string(row, "name"), Rows.string(row, "clone_url"),
                Rows.string(row, "production_branch")),
                Source.valueOf(Rows.string(row, "source").toUpperCase(java.util.Locale.ROOT)));
    }
}
