package dev.ferry.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class MainTest {
    private static final List<String> ALL = List.of("serve", "demo", "check-config", "migrate", "deployer", "publish",
            "manifest", "cache", "nar", "keygen", "bench", "help");

    @Test
    void onlyTheNamedSubcommandIsMade() {
        assertThat(Main.commandLine("publish", "--help").getSubcommands().keySet()).containsExactly("publish");
        assertThat(Main.commandLine("manifest", "show").getSubcommands().get("manifest").getSubcommands())
                .containsKey("show");
    }

    /** The version needs no command: making them all took 1.2 s of a 1.25 s {@code ferry --version}. */
    @Test
    void theVersionMakesNoSubcommand() {
        for (String option : List.of("--version", "-V")) {
            assertThat(Main.commandLine(option).getSubcommands()).isEmpty();
            InProcessCli.Result result = InProcessCli.run(option);
            assertThat(result.exit()).isZero();
            assertThat(result.out()).startsWith("ferry ");
        }
    }

    @Test
    void withoutASubcommandEveryOneIsThereUnderItsOwnName() {
        for (String[] args : List.of(new String[0], new String[] {"--help"}, new String[] {"help", "publish"},
                new String[] {"pubilsh"})) {
            assertThat(Main.commandLine(args).getSubcommands().keySet()).containsExactlyElementsOf(ALL);
        }
        // The map's keys are the commands' own names: ferry X makes the command named X.
        for (String name : ALL.subList(0, ALL.size() - 1)) { // (help lists every command, so it has them all)
            assertThat(Main.commandLine(name).getSubcommands().keySet()).containsExactly(name);
        }
    }

    @Test
    void aSubcommandsHelpAndAMistypedCommandStillWork() {
        assertThat(Main.run("publish", "--help")).isZero();
        assertThat(Main.run("pubilsh")).isEqualTo(2);
    }

    /** A path that is not there is named once, with the reason in words. */
    @Test
    void aMissingPathToPublishIsNamedOnce(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        String missing = dir.resolve("nope").toString();
        InProcessCli.Result result = InProcessCli.run("publish", "--to", "file://" + dir.resolve("cache"),
                "--secret-key", dir.resolve("key.sec").toString(), missing);
        assertThat(result.exit()).isEqualTo(1);
        assertThat(result.err().strip()).isEqualTo("ferry: " + missing + ": no such file or directory");
    }
}
