package dev.ferry.app;

import dev.ferry.cache.ManifestStore;
import dev.ferry.cache.Storage;
import dev.ferry.deployer.Caddy;
import dev.ferry.deployer.Deployer;
import dev.ferry.deployer.DeployerSettings;
import dev.ferry.deployer.DeployerState;
import dev.ferry.deployer.HttpStorage;
import dev.ferry.deployer.LocalPins;
import dev.ferry.deployer.LongPoll;
import dev.ferry.deployer.NixStore;
import dev.ferry.deployer.ReadyCheck;
import dev.ferry.deployer.ServiceStatus;
import dev.ferry.deployer.Systemd;
import dev.ferry.process.ProcessRunner;
import dev.ferry.server.ConfigCheck;
import dev.ferry.server.DeployerConfig;
import dev.ferry.server.HostReports;
import dev.ferry.server.ServerConfig;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code ferry deployer}: the agent, its status and a local rollback (docs/deployer.md). */
@Command(name = "deployer", mixinStandardHelpOptions = true,
        description = {"Run the deployer agent: converge the signed manifest (ferry.deployer.manifest-uri) into "
                + "systemd units and Caddy routes on this host, at start, on every new generation and every "
                + "ferry.deployer.reconcile-interval.", "See docs/deployer.md."},
        subcommands = {DeployerCommand.Status.class, DeployerCommand.Rollback.class})
final class DeployerCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--config", paramLabel = "FILE",
            description = "YAML configuration file (keys under ferry.deployer).")
    Optional<Path> config;

    @Option(names = "--once", description = "Converge once and exit: 0 if everything converged, 1 if anything failed.")
    boolean once;

    /**
     * The deployer's settings, after the whole configuration passed the check of {@code ferry check-config}: as an
     * agent's to run one, as either kind for {@code status} and {@code rollback} (a co-resident deployer's too).
     */
    static DeployerConfig load(Optional<Path> config, ConfigCheck.Use use) {
        ConfigCheck.Loaded loaded = ConfigCheck.check(config, ServerConfig.Environment.current(), use).orThrow();
        Logs.configure(loaded.log());
        return loaded.deployer();
    }

    @Override
    public Integer call() {
        DeployerConfig dc = load(config, ConfigCheck.Use.AGENT);
        DeployerSettings settings = dc.agentSettings();
        String uri = settings.manifestUri();
        boolean overHttp = DeployerConfig.overHttp(uri);
        Storage storage = overHttp ? HttpStorage.of(uri) : ManifestCommand.openExisting(uri);
        Optional<String> reportToken = overHttp ? dc.reportTokenFile().map(HostReports::readToken) : Optional.empty();
        PrintWriter out = spec.commandLine().getOut();
        try (Systemd systemd = Systemd.connect(settings.systemdBus())) {
            Deployer deployer = Deployer.create(settings, ManifestStore.create(storage), systemd,
                    Caddy.admin(settings.caddyAdminUrl()), NixStore.cli(ProcessRunner.local(), settings.profilesDir()),
                    ReadyCheck.http());
            Optional<HostReporter> reporter = reportToken.map(token -> HostReporter.to(
                    ((HttpStorage) storage).server(), settings.host(), token, deployer));
            if (once) {
                Logs.quietDeployerSteps();
                // Asked for by a person (or a timer): what waits for its next try after failures is tried now.
                Deployer.Report report = deployer.reconcileNow();
                report.steps().forEach(s -> out.println("ferry: " + s));
                report.errors().forEach(e -> spec.commandLine().getErr().println("ferry: " + e));
                // A spec that failed before for good is not tried again, so this pass has no error of its own for
                // it; a unit that systemd keeps restarting has none either, and says so itself.
                java.util.Set<String> failedForGood = deployer.state().failed().keySet();
                report.services().stream().filter(ServiceStatus::failed)
                        .filter(s -> !report.failedNow().contains(s.name()))
                        .forEach(s -> spec.commandLine().getErr().println("ferry: " + s.name() + ": "
                                + s.lastError().orElse("failed") + (failedForGood.contains(s.name())
                                ? " (failed before; not tried again until the manifest changes it)" : "")));
                reporter.flatMap(HostReporter::send)
                        .ifPresent(failure -> spec.commandLine().getErr().println("ferry: warning: " + failure));
                out.println(report.generation() == 0 && report.ok()
                        ? "ferry: no manifest generation in " + storage.uri() + " yet: nothing to do"
                        : "ferry: generation " + report.generation() + ": " + (report.ok() ? "converged" : "FAILED"));
                out.flush();
                return report.ok() ? 0 : 1;
            }
            out.println("ferry: deployer for host " + settings.host() + " reading " + storage.uri()
                    + (reportToken.isPresent() ? ", reporting its status to the server (/v1/hosts)" : ""));
            out.flush();
            if (overHttp) {
                HttpStorage server = (HttpStorage) storage;
                Thread.ofVirtual().name("ferry-manifest-wait").start(() -> LongPoll.follow(server.server(), deployer));
            }
            Duration interval = overHttp ? settings.reconcileInterval()
                    : min(settings.reconcileInterval(), settings.pollInterval());
            Runtime.getRuntime().addShutdownHook(new Thread(deployer::stop, "ferry-deployer-stop"));
            deployer.run(interval, reporter.<Deployer.PassListener>map(r -> r).orElse((report, elapsed) -> { }));
            return 0;
        }
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = "Print each service's state as the last pass recorded it: desired and running store path, "
                    + "unit and its state, port, route, last error. Exit 1 if a service failed or the last pass "
                    + "reported an error (a refused manifest, say).")
    static final class Status implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--config", paramLabel = "FILE", description = "YAML configuration file.")
        Optional<Path> config;

        @Override
        public Integer call() {
            DeployerConfig dc = load(config, ConfigCheck.Use.EITHER);
            DeployerState state = DeployerState.read(dc.stateDir());
            PrintWriter out = spec.commandLine().getOut();
            out.println("generation " + state.lastApplied() + " (state in " + dc.stateDir() + ")");
            for (ServiceStatus s : state.services()) {
                out.println(s.name() + ": " + s.state());
                out.println("  desired  " + s.desiredPath());
                out.println("  running  " + s.runningPath().orElse("-"));
                out.println("  unit     " + s.unit().orElse("-") + s.unitState().map(u -> " (" + u + ")").orElse(""));
                out.println("  port     " + (s.port().isPresent() ? Integer.toString(s.port().getAsInt()) : "-"));
                out.println("  route    " + s.route().orElse("-"));
                s.lastError().ifPresent(e -> out.println("  error    " + e));
            }
            state.errors().forEach(e -> out.println("error: " + e));
            out.flush();
            // As --once: a refused manifest fails no service, and still means this host is not converging.
            return state.errors().isEmpty() && state.services().stream().noneMatch(ServiceStatus::failed) ? 0 : 1;
        }
    }

    @Command(name = "rollback", mixinStandardHelpOptions = true,
            description = {"Switch SERVICE back to its previous Nix profile generation, on this host only (for when "
                    + "the server is unreachable). The deployer runs that store path until the next manifest "
                    + "generation arrives; run 'ferry deployer --once' to apply it now."})
    static final class Rollback implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--config", paramLabel = "FILE", description = "YAML configuration file.")
        Optional<Path> config;

        @Parameters(paramLabel = "SERVICE")
        String service;

        @Override
        public Integer call() {
            DeployerConfig dc = load(config, ConfigCheck.Use.EITHER);
            LocalPins.Pin pin = LocalPins.rollback(dc.stateDir(), NixStore.cli(ProcessRunner.local(), dc.profilesDir()),
                    service);
            spec.commandLine().getOut().println("ferry: " + service + " rolled back to " + pin.path()
                    + " (until the generation after " + pin.generation() + "); it runs after the next pass: "
                    + "ferry deployer --once now, or the running deployer's within its reconcile-interval");
            spec.commandLine().getOut().flush();
            return 0;
        }
    }
}
