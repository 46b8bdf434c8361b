package dev.ferry.builder;

import dev.ferry.process.Command;
import dev.ferry.process.ProcessResult;
import dev.ferry.process.ProcessRunner;
import dev.ferry.testkit.TestEnv;
import java.io.OutputStream;
import java.util.HashMap;
import java.util.Map;

/** The local runner, with the offline Nix settings of the test environment added to every command. */
public final class NixRunner implements ProcessRunner {
    private final ProcessRunner local = ProcessRunner.local();

    @Override
    public ProcessResult run(Command command, OutputStream stdout) {
        return local.run(withNixConfig(command), stdout);
    }

    @Override
    public ProcessResult run(Command command, OutputStream stdout, OutputStream stderr) {
        return local.run(withNixConfig(command), stdout, stderr);
    }

    private static Command withNixConfig(Command command) {
        Map<String, String> environment = new HashMap<>(TestEnv.nixEnvironment());
        environment.putAll(command.environment());
        return command.environment(environment);
    }
}
