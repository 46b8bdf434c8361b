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

    @Test
    void checkConfigChecksAsTheServerOrTheAgentWhenToldElseGuesses(@org.junit.jupiter.api.io.TempDir
                                                                     java.nio.file.Path dir) throws Exception {
        // A server's file with a leftover manifest-uri: ferry serve takes it; as an agent's it lacks trusted keys.
        java.nio.file.Path file = java.nio.file.Files.writeString(dir.resolve("ferry.yaml"), """
                ferry:
                  data-dir: %s
                  deployer: {enabled: false, manifest-uri: "http://ferry.example.org:8080/cache"}
                """.formatted(dir.resolve("data")));
        InProcessCli.Result server = InProcessCli.run("check-config", "--as", "server", "--config", file.toString());
        assertThat(server.exit()).as(server.err()).isZero();
        assertThat(server.out()).startsWith("ferry: configuration is valid (cache ");
        for (List<String> args : List.of(List.of("--as", "agent"), List.<String>of())) {
            List<String> all = new java.util.ArrayList<>(List.of("check-config", "--config", file.toString()));
            all.addAll(args);
            InProcessCli.Result agent = InProcessCli.run(all.toArray(String[]::new));
            assertThat(agent.exit()).as("%s", args).isEqualTo(1);
            assertThat(agent.err()).contains("ferry.deployer.trusted-keys: at least one key is needed");
            assertThat(agent.err().contains("as a server's (ferry serve) it is valid")).as("%s", args)
                    .isEqualTo(args.isEmpty());
        }
        assertThat(InProcessCli.run("check-config", "--as", "both", "--config", file.toString()).exit()).isEqualTo(2);
    }
}
