package dev.ferry.app;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code ferry} command line. */
@Command(name = "ferry",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "Build-and-deploy server for Nix: binary cache, builds and deployments.",
        subcommands = {ServeCommand.class, PublishCommand.class, ManifestCommand.class, NarCommand.class,
                KeygenCommand.class, BenchCommand.class, CommandLine.HelpCommand.class})
public final class Main {

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns the exit code (0 ok, 1 failure, 2 usage error). */
    static int run(String... args) {
        CommandLine commandLine = new CommandLine(new Main());
        commandLine.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("ferry: " + describe(e));
            if (System.getenv("FERRY_DEBUG") != null) {
                e.printStackTrace(cmd.getErr());
            }
            return 1;
        });
        return commandLine.execute(args);
    }

    /** The message a user sees for a failure: what went wrong, without a stack trace. */
    static String describe(Throwable e) {
        String message = e.getMessage() == null || e.getMessage().isBlank()
                ? e.getClass().getSimpleName() : e.getMessage();
        // java.nio names only the file in these exceptions; say what happened to it.
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            String what = switch (cause) {
                case java.nio.file.NoSuchFileException x -> "no such file or directory";
                case java.nio.file.AccessDeniedException x -> "permission denied";
                case java.nio.file.FileAlreadyExistsException x -> "already exists";
                case java.nio.file.NotDirectoryException x -> "not a directory";
                default -> null;
            };
            if (what != null) {
                java.nio.file.FileSystemException f = (java.nio.file.FileSystemException) cause;
                return message + (message.endsWith(f.getFile()) ? "" : " (" + f.getFile() + ")") + ": " + what
                        + (f.getReason() != null ? " (" + f.getReason() + ")" : "");
            }
        }
        return message;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            Properties properties = new Properties();
            try (InputStream in = Main.class.getResourceAsStream("version.properties")) {
                if (in != null) {
                    properties.load(in);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return new String[] {"ferry " + properties.getProperty("version", "unknown")};
        }
    }
}
