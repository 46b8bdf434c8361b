package dev.ferry.app;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code ferry} command line. */
@Command(name = "ferry",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "Build-and-deploy server for Nix: binary cache, builds and deployments.")
public final class Main {
    /**
     * The subcommands, in the order {@code ferry --help} lists them. Only the one named on the command line is made
     * (see {@link #commandLine}): making a command builds its model and runs its initializers, and making all of them
     * loaded some 1,600 classes (the HTTP client and TLS among them) before any command ran.
     */
    private static final Map<String, Supplier<Object>> COMMANDS = commands();

    private static Map<String, Supplier<Object>> commands() {
        Map<String, Supplier<Object>> commands = new LinkedHashMap<>();
        commands.put("serve", ServeCommand::new);
        commands.put("demo", DemoCommand::new);
        commands.put("check-config", CheckConfigCommand::new);
        commands.put("migrate", MigrateCommand::new);
        commands.put("deployer", DeployerCommand::new);
        commands.put("publish", PublishCommand::new);
        commands.put("manifest", ManifestCommand::new);
        commands.put("cache", CacheCommand::new);
        commands.put("nar", NarCommand::new);
        commands.put("keygen", KeygenCommand::new);
        commands.put("bench", BenchCommand::new);
        commands.put("help", CommandLine.HelpCommand::new);
        return commands;
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /**
     * The command line for {@code args}: with only the subcommand {@code args[0]} names, with none for
     * {@code ferry --version}, or with all of them otherwise ({@code ferry}, {@code ferry --help},
     * {@code ferry help publish}, a typo: usage and help list them).
     */
    public static CommandLine commandLine(String... args) {
        CommandLine commandLine = new CommandLine(new Main());
        Supplier<Object> only = args.length > 0 && !args[0].equals("help") ? COMMANDS.get(args[0]) : null;
        boolean version = args.length == 1 && (args[0].equals("--version") || args[0].equals("-V"));
        if (only != null) {
            commandLine.addSubcommand(only.get());
        } else if (!version) {
            COMMANDS.values().forEach(command -> commandLine.addSubcommand(command.get()));
        }
        return commandLine;
    }

    /** Runs the command line and returns the exit code (0 ok, 1 failure, 2 usage error). */
    static int run(String... args) {
        Logs.quietLibraries();
        CommandLine commandLine = commandLine(args);
        commandLine.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("ferry: " + describe(e));
            if (System.getenv("FERRY_DEBUG") != null) {
                e.printStackTrace(cmd.getErr());
            }
            return 1;
        });
        return commandLine.execute(args);
    }

    /** The message a user sees for a failure: what went wrong, without a stack trace or an exception class name. */
    static String describe(Throwable e) {
        if (e instanceof UncheckedIOException u && u.getCause() != null) {
            IOException cause = u.getCause();
            String message = u.getMessage();
            // new UncheckedIOException(cause) takes cause.toString() as its message: "java.nio.file.Xxx: ...".
            if (message == null || message.isBlank() || message.equals(cause.toString())) {
                return describe(cause);
            }
            return cause instanceof FileSystemException f && f.getReason() == null
                    ? message + ": " + problem(f) : message;
        }
        if (e instanceof FileSystemException f) {
            // Its message is the file, then the reason if one was given: "/x" alone says nothing.
            return f.getReason() == null ? f.getMessage() + ": " + problem(f) : f.getMessage();
        }
        String message = e.getMessage();
        return message == null || message.isBlank() ? e.getClass().getSimpleName() : message;
    }

    /** What a file system exception without a reason means, in words. */
    private static String problem(FileSystemException e) {
        return switch (e) {
            case NoSuchFileException x -> "no such file or directory";
            case FileAlreadyExistsException x -> "already exists";
            case AccessDeniedException x -> "permission denied";
            case NotDirectoryException x -> "not a directory";
            case DirectoryNotEmptyException x -> "directory not empty";
            default -> e.getClass().getSimpleName();
        };
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
