package dev.ferry.app;

import dev.ferry.builder.PipelineSettings;
import dev.ferry.server.BuilderSettings;
import dev.ferry.server.ConfigCheck;
import dev.ferry.server.DeployerConfig;
import dev.ferry.server.FerryServer;
import dev.ferry.server.HostReports;
import dev.ferry.server.PipelineFactory;
import dev.ferry.server.ServerConfig;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ferry serve}: the server. It runs until the process is stopped (SIGTERM, Ctrl-C). */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Start the Ferry server: the binary cache at /cache, as a Nix substituter that also accepts "
                + "uploads from nix copy.",
                "Settings come from environment variables (FERRY_SERVER_PORT=0, ...) and the YAML file given with "
                        + "--config; without either it starts on the defaults. See docs/configuration.md."})
final class ServeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--config", paramLabel = "FILE", description = "YAML configuration file (keys under ferry:).")
    Optional<Path> config;

    @Option(names = "--check-config", description = "Check the configuration and exit, starting nothing.")
    boolean checkConfig;

    @Override
    public Integer call() throws InterruptedException {
        ConfigCheck.Result checked = ConfigCheck.check(config, ServerConfig.Environment.current(),
                ConfigCheck.Use.SERVER);
        var out = spec.commandLine().getOut();
        if (checkConfig || !checked.problems().isEmpty()) {
            // The same report as ferry check-config: a server with a bad setting does not start.
            return CheckConfigCommand.report(checked, out, spec.commandLine().getErr());
        }
        ConfigCheck.Loaded loaded = checked.orThrow();
        ServerConfig settings = loaded.server();
        BuilderSettings builder = loaded.builder();
        PipelineSettings pipeline = loaded.pipeline();
        DeployerConfig deployer = loaded.deployer();
        Logs.configure(loaded.log());
        Optional<HostReports> reports = deployer.reportTokenFile().map(HostReports::fromFile);
        FerryServer server = FerryServer.start(settings, Optional.of(builder), PipelineFactory.nix(pipeline));
        reports.ifPresent(server.deployer()::acceptReports);
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "ferry-shutdown"));
        out.println(server.startupLine());
        if (deployer.enabled()) {
            out.println(CoResidentDeployer.start(server, settings, deployer));
        }
        out.flush();
        new CountDownLatch(1).await(); // until the JVM shuts down; the hook stops the server
        return 0;
    }
}
