package dev.ferry.app;

import dev.ferry.builder.Database;
import dev.ferry.server.ServerConfig;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ferry migrate}: brings the database of a configuration to this Ferry's schema. */
@Command(name = "migrate", mixinStandardHelpOptions = true,
        description = {"Apply the database migrations shipped with this Ferry to <data-dir>/ferry.db (created if "
                + "missing), then exit.",
                "ferry serve does the same when it starts; a database newer than this Ferry knows is refused."})
final class MigrateCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--config", paramLabel = "FILE", description = "YAML configuration file (keys under ferry:).")
    Optional<Path> config;

    @Override
    public Integer call() {
        ServerConfig settings = ServerConfig.load(config, ServerConfig.Environment.current());
        Path file = settings.dataDir().resolve(Database.FILE_NAME);
        try (Database database = Database.open(file)) {
            Database.MigrationResult result = database.migrate();
            var out = spec.commandLine().getOut();
            out.println(result.changed()
                    ? "ferry: migrated " + file + " from schema version " + result.from() + " to " + result.to()
                    : "ferry: " + file + " is at schema version " + result.to() + ", nothing to do");
            out.flush();
        }
        return 0;
    }
}
