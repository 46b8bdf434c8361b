package dev.ferry.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.builder.Database;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ferry migrate --config FILE} in-process, on a real SQLite file. */
class MigrateCommandTest {
    @TempDir
    Path temp;

    record Result(int exit, String out, String err) {
    }

    private static Result ferry(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            int exit = Main.run(args);
            return new Result(exit, ferryLines(out), ferryLines(err));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    /**
     * The lines Ferry printed: on the test class path logback prints its status when Hikari first logs (the cache
     * test jar brings a second logback-test.xml); the packaged jar has no logback.
     */
    private static String ferryLines(ByteArrayOutputStream bytes) {
        return bytes.toString(StandardCharsets.UTF_8).lines().filter(l -> l.startsWith("ferry:"))
                .map(l -> l + "\n").collect(java.util.stream.Collectors.joining());
    }

    @Test
    void migratesOnceAndRefusesANewerSchema() throws Exception {
        Path config = Files.writeString(temp.resolve("ferry.yaml"), "ferry:\n  data-dir: " + temp.resolve("data") + "\n");
        Path db = temp.resolve("data").resolve(Database.FILE_NAME);
        int known = Database.knownSchemaVersion();

        Result first = ferry("migrate", "--config", config.toString());
        assertThat(first.exit()).as(first.err()).isZero();
        assertThat(first.out()).isEqualTo("ferry: migrated " + db + " from schema version 0 to " + known + "\n");
        Result again = ferry("migrate", "--config", config.toString());
        assertThat(again.out()).isEqualTo("ferry: " + db + " is at schema version " + known + ", nothing to do\n");

        try (var c = DriverManager.getConnection("jdbc:sqlite:" + db); var s = c.createStatement()) {
            s.executeUpdate("INSERT INTO schema_version (version, description, applied_at) VALUES (" + (known + 1)
                    + ", 'newer', 0)");
        }
        Result refused = ferry("migrate", "--config", config.toString());
        assertThat(refused.exit()).isEqualTo(1);
        assertThat(refused.err()).startsWith("ferry: the database " + db + " has schema version " + (known + 1)
                + ", newer than this Ferry knows (" + known + ")");
    }
}
