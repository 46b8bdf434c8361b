package dev.ferry.app;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code ferry serve}: the server. It arrives with the binary-cache issue; until then it says so. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Start the Ferry server (binary cache, webhooks, deployer).")
final class ServeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        var out = spec.commandLine().getOut();
        out.println("""
                Ferry's server is not built yet: it arrives with the binary-cache step (serving a Nix
                substituter), then webhooks, builds and the deployer. What works today:""");
        out.println();
        spec.parent().commandLine().usage(out);
        return 0;
    }
}
