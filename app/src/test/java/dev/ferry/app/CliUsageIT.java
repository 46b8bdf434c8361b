package dev.ferry.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/** {@code ferry --version}, and {@code --help} on every command and subcommand the command line declares. */
class CliUsageIT {

    @Test
    void printsTheVersionOfTheBuild() {
        String expected = "ferry " + System.getProperty("ferry.version") + "\n";

        for (String option : List.of("--version", "-V")) {
            FerryCli.Result result = FerryCli.run(option);
            assertThat(result.exitCode()).as(option + ": " + result.stderr()).isZero();
            assertThat(result.stdout()).as(option).isEqualTo(expected);
        }
    }

    /** Every command path, found in the command line's own model so that a new command is covered too. */
    static Stream<List<String>> commands() {
        List<List<String>> commands = new ArrayList<>();
        collect(Main.commandLine(), new ArrayList<>(), commands);
        return commands.stream();
    }

    private static void collect(CommandLine command, List<String> path, List<List<String>> into) {
        into.add(List.copyOf(path));
        command.getSubcommands().forEach((name, sub) -> {
            if (sub.getCommandName().equals(name)) { // aliases would repeat a command
                path.add(name);
                collect(sub, path, into);
                path.removeLast();
            }
        });
    }

    @ParameterizedTest
    @MethodSource("commands")
    void helpWorksOnEveryCommand(List<String> command) {
        List<String> args = new ArrayList<>(command);
        args.add("--help");

        FerryCli.Result result = FerryCli.run(args.toArray(String[]::new));

        assertThat(result.exitCode()).as(result.stderr()).isZero();
        String usage = String.join(" ", usageLine(command));
        assertThat(result.stdout().lines()).as(result.stdout()).anyMatch(line -> line.startsWith(usage));
        assertThat(result.stderr()).isEmpty();
    }

    @Test
    void coversTheCommandsUsersKnow() {
        assertThat(commands().map(c -> String.join(" ", c))).contains("", "nar", "nar dump", "nar hash",
                "nar unpack", "keygen", "serve", "bench");
    }

    @Test
    void anUnknownOptionIsAUsageError() {
        FerryCli.Result result = FerryCli.run("nar", "dump", "--no-such-option", "/");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.stderr()).contains("Unknown option: '--no-such-option'", "Usage: ferry nar dump");
    }

    /** "Usage: ferry nar dump": the line that starts the synopsis (help prints its header above it). */
    private static List<String> usageLine(List<String> command) {
        List<String> words = new ArrayList<>(List.of("Usage:", "ferry"));
        words.addAll(command);
        return words;
    }
}
