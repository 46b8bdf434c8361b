package dev.ferry.builder;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import io.helidon.dbclient.DbClient;
import io.helidon.dbclient.DbClientException;
import io.helidon.dbclient.DbExecute;
import io.helidon.dbclient.DbTransaction;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

/**
 * Ferry's SQLite database ({@code <data-dir>/ferry.db}, WAL) through Helidon DB Client. Opening never changes the
 * schema; {@link #migrate()} applies the migrations shipped in the jar ({@code ferry migrate}, and {@code ferry
 * serve} at start). A database whose schema is newer than this code knows is refused, naming both versions.
 *
 * <p>Writes are serialised by one lock (SQLite has one writer anyway; the lock turns "database is locked" retries
 * into a queue in the JVM); reads run concurrently on the pool.
 */
public final class Database implements AutoCloseable {
    public static final String FILE_NAME = "ferry.db";

    private final Path file;
    private final DbClient client;
    private final Clock clock;
    private final ReentrantLock writeLock = new ReentrantLock();

    private Database(Path file, DbClient client, Clock clock) {
        this.file = file;
        this.client = client;
        this.clock = clock;
    }

    /** Opens (creating if missing) the database file; refuses a schema newer than this code knows. */
    public static Database open(Path file) {
        return open(file, Clock.systemUTC());
    }

    static Database open(Path file, Clock clock) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
        } catch (IOException e) {
            throw new StateException("cannot create the directory of " + file + ": " + e.getMessage(), e);
        }
        String url = "jdbc:sqlite:" + file.toAbsolutePath() + "?journal_mode=WAL&synchronous=NORMAL&busy_timeout=5000&foreign_keys=true";
        DbClient client;
        try {
            client = DbClient.create(Config.just(ConfigSources.create(Map.of(
                    "source", "jdbc",
                    "connection.url", url,
                    "connection.maximumPoolSize", "4",
                    "connection.poolName", "ferry-sqlite"))));
        } catch (RuntimeException e) {
            throw new StateException("cannot open the database " + file + ": " + e.getMessage(), e);
        }
        Database database = new Database(file, client, clock);
        try {
            database.checkNotNewer();
        } catch (RuntimeException e) {
            database.close();
            throw e;
        }
        return database;
    }

    public Path file() {
        return file;
    }

    Clock clock() {
        return clock;
    }

    /** The schema version of the file: 0 for a new, empty database. */
    public int schemaVersion() {
        return read(db -> {
            boolean exists = db.get("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'")
                    .isPresent();
            if (!exists) {
                return 0;
            }
            return db.get("SELECT MAX(version) AS v FROM schema_version")
                    .flatMap(row -> Rows.value(row, "v"))
                    .map(v -> ((Number) v).intValue()).orElse(0);
        });
    }

    /** The newest schema version this Ferry knows. */
    public static int knownSchemaVersion() {
        return Migrations.latest();
    }

    /** What {@link #migrate()} did. */
    public record MigrationResult(int from, int to) {
        public boolean changed() {
            return from != to;
        }
    }

    /** Applies the missing migrations, each in its own transaction with its {@code schema_version} row. */
    public MigrationResult migrate() {
        writeLock.lock();
        try {
            checkNotNewer();
            int from = schemaVersion();
            write(db -> db.dml("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, "
                    + "description TEXT NOT NULL, applied_at INTEGER NOT NULL)"));
            for (Migrations.Migration migration : Migrations.all()) {
                if (migration.version() <= from) {
                    continue;
                }
                transaction(tx -> {
                    for (String statement : migration.statements()) {
                        tx.dml(statement);
                    }
                    tx.insert("INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)",
                            migration.version(), migration.description(), clock.millis());
                    return null;
                });
            }
            return new MigrationResult(from, schemaVersion());
        } finally {
            writeLock.unlock();
        }
    }

    /** Refuses to work on a database that was not migrated to exactly this code's version. */
    void requireCurrent() {
        int version = schemaVersion();
        if (version != Migrations.latest()) {
            throw new StateException("the database " + file + " has schema version " + version + ", this Ferry needs "
                    + Migrations.latest() + ": run ferry migrate");
        }
    }

    private void checkNotNewer() {
        int version = schemaVersion();
        if (version > Migrations.latest()) {
            throw new StateException("the database " + file + " has schema version " + version
                    + ", newer than this Ferry knows (" + Migrations.latest() + "): it was used by a newer Ferry; "
                    + "run that version, or restore a backup made before the upgrade");
        }
    }

    <T> T read(Function<DbExecute, T> work) {
        try {
            return work.apply(client.execute());
        } catch (DbClientException e) {
            throw new StateException("database " + file + ": " + e.getMessage(), e);
        }
    }

    <T> T write(Function<DbExecute, T> work) {
        writeLock.lock();
        try {
            return work.apply(client.execute());
        } catch (DbClientException e) {
            throw new StateException("database " + file + ": " + e.getMessage(), e);
        } finally {
            writeLock.unlock();
        }
    }

    /** Runs {@code work} in one transaction, committed if it returns, rolled back if it throws. */
    <T> T transaction(Function<DbExecute, T> work) {
        writeLock.lock();
        try {
            DbTransaction tx = client.transaction();
            try {
                T result = work.apply(tx);
                tx.commit();
                return result;
            } catch (RuntimeException | Error e) {
                try {
                    tx.rollback();
                } catch (RuntimeException suppressed) {
                    e.addSuppressed(suppressed);
                }
                throw e;
            }
        } catch (DbClientException e) {
            throw new StateException("database " + file + ": " + e.getMessage(), e);
        } finally {
            writeLock.unlock();
        }
    }

    @Override
    public void close() {
        client.close();
    }
}
