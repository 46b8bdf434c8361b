package dev.ferry.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.builder.Database;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ferry migrate --config FILE} in-process, on a real SQLite file. */
class MigrateCommandTest {
    @TempDir
    Path temp;

    /** {@code ferry ARGS...} in-process, keeping only the lines Ferry printed. */
    private static InProcessCli.Result ferry(String... args) {
        InProcessCli.Result result = InProcessCli.run(args);
        return new InProcessCli.Result(result.exit(), ferryLines(result.out()), ferryLines(result.err()));
    }

    /**
     * The lines Ferry printed: on the test class path logback prints its status when Hikari first logs (the cache
     * test jar brings a second logback-test.xml); the packaged jar has no logback.
     */
    private static String ferryLines(String printed) {
        return printed.lines().filter(l -> l.startsWith("ferry:"))
                .map(l -> l + "\n").collect(java.util.stream.Collectors.joining());
    }

    @Test
    void migratesOnceAndRefusesANewerSchema() throws Exception {
        Path config = Files.writeString(temp.resolve("ferry.yaml"), "ferry:\n  data-dir: " + temp.resolve("data") + "\n");
        Path db = temp.resolve("data").resolve(Database.FILE_NAME);
        int known = Database.knownSchemaVersion();

        InProcessCli.Result first = ferry("migrate", "--config", config.toString());
        assertThat(first.exit()).as(first.err()).isZero();
        assertThat(first.out()).isEqualTo("ferry: migrated " + db + " from schema version 0 to " + known + "\n");
        InProcessCli.Result again = ferry("migrate", "--config", config.toString());
        assertThat(again.out()).isEqualTo("ferry: " + db + " is at schema version " + known + ", nothing to do\n");

        try (var c = DriverManager.getConnection("jdbc:sqlite:" + db); var s = c.createStatement()) {
            s.executeUpdate("INSERT INTO schema_version (version, description, applied_at) VALUES (" + (known + 1)
                    + ", 'newer', 0)");
        }
        InProcessCli.Result refused = ferry("migrate", "--config", config.toString());
        assertThat(refused.exit()).isEqualTo(1);
        assertThat(refused.err()).startsWith("ferry: the database " + db + " has schema version " + (known + 1)
                + ", newer than this Ferry knows (" + known + ")");
    }
}
