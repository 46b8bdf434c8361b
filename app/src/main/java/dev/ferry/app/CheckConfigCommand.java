package dev.ferry.app;

import dev.ferry.server.ConfigCheck;
import dev.ferry.server.ServerConfig;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ferry check-config}: loads every section of the configuration as {@code ferry serve} would, prints every
 * problem as {@code <key>: <reason>} and exits 1, or prints a one-line summary and exits 0. Secret files are not
 * read, so the NixOS modules run it at build time.
 */
@Command(name = "check-config", mixinStandardHelpOptions = true,
        description = {"Check a configuration (the YAML file and FERRY_ environment variables) and exit.",
                "Prints each problem as <key>: <reason> (exit 1), or a one-line summary (exit 0). "
                        + "See docs/configuration.md."})
final class CheckConfigCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--config", paramLabel = "FILE", description = "YAML configuration file (keys under ferry:).")
    Optional<Path> config;

    /** Whose configuration it is: {@code server} checks as {@code ferry serve} does, {@code agent} as the agent. */
    enum As { server, agent }

    @Option(names = "--as", paramLabel = "server|agent", description = {"Check it as ferry serve (server) or "
            + "ferry deployer (agent) will use it. Without it: an agent's if it sets ferry.deployer.manifest-uri "
            + "without ferry.deployer.enabled: true, else a server's."})
    Optional<As> as;

    @Override
    public Integer call() {
        ConfigCheck.Use use = as.map(a -> a == As.server ? ConfigCheck.Use.SERVER : ConfigCheck.Use.AGENT)
                .orElse(ConfigCheck.Use.EITHER);
        ConfigCheck.Result result = ConfigCheck.check(config, ServerConfig.Environment.current(), use);
        int exit = report(result, spec.commandLine().getOut(), spec.commandLine().getErr());
        // Taken for an agent's by the guess, and fine as a server's: say so, not only what an agent lacks.
        if (exit != 0 && as.isEmpty() && ConfigCheck.check(config, ServerConfig.Environment.current(),
                ConfigCheck.Use.SERVER).problems().isEmpty()) {
            spec.commandLine().getErr().println("ferry: it sets ferry.deployer.manifest-uri without "
                    + "ferry.deployer.enabled: true, so it was checked as an agent's (ferry deployer); as a server's "
                    + "(ferry serve) it is valid: say which with --as server or --as agent");
            spec.commandLine().getErr().flush();
        }
        return exit;
    }

    /** Prints the result as check-config does; returns the exit code. Shared with {@code ferry serve --check-config}. */
    static int report(ConfigCheck.Result result, PrintWriter out, PrintWriter err) {
        if (result.problems().isEmpty()) {
            out.println(result.loaded().orElseThrow().summary());
            out.flush();
            return 0;
        }
        result.problems().forEach(err::println);
        err.println("ferry: the configuration has " + result.problems().size() + " problem"
                + (result.problems().size() == 1 ? "" : "s"));
        err.flush();
        return 1;
    }
}
