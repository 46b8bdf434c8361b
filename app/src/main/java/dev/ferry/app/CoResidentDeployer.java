package dev.ferry.app;

import dev.ferry.cache.ManifestStore;
import dev.ferry.deployer.Caddy;
import dev.ferry.deployer.Deployer;
import dev.ferry.deployer.DeployerSettings;
import dev.ferry.deployer.NixStore;
import dev.ferry.deployer.ReadyCheck;
import dev.ferry.deployer.Systemd;
import dev.ferry.process.ProcessRunner;
import dev.ferry.server.DeployerConfig;
import dev.ferry.server.FerryServer;
import dev.ferry.server.ServerConfig;
import java.time.Duration;
import java.util.List;

/**
 * {@code ferry serve} with {@code ferry.deployer.enabled: true}: a deployer in the server's process, reading the
 * server's own manifests, trusting the server's key and substituting from its {@code /cache} unless configured
 * otherwise, woken by every generation written in the process or found by the server's watcher (GenerationNotifier).
 */
public final class CoResidentDeployer {
    private CoResidentDeployer() {
    }

    /** A started co-resident deployer: the line to print, and how to stop its loop and close its bus connection. */
    record Started(String line, Runnable stop) {
    }

    /** Starts the deployer's loop on its own thread; returns the line to print. Stopped when the JVM shuts down. */
    public static String start(FerryServer server, ServerConfig config, DeployerConfig deployerConfig) {
        Started started = launch(server, config, deployerConfig);
        Runtime.getRuntime().addShutdownHook(new Thread(started.stop(), "ferry-deployer-stop"));
        return started.line();
    }

    /** Starts the deployer's loop on its own thread; the caller stops it ({@code ferry demo} before its cleanup). */
    static Started launch(FerryServer server, ServerConfig config, DeployerConfig deployerConfig) {
        DeployerSettings settings = deployerConfig.settings(config.cacheUri().toString(),
                dev.ferry.cache.ManifestVerifier.withOwnKey(config.trustedKeys(), server.publicKey()),
                List.of(server.cacheUrl()));
        Systemd systemd = Systemd.connect(settings.systemdBus());
        Deployer deployer = Deployer.create(settings, ManifestStore.create(server.storage()), systemd,
                Caddy.admin(settings.caddyAdminUrl()), NixStore.cli(ProcessRunner.local(), settings.profilesDir()),
                ReadyCheck.http());
        server.deployer().attach(settings.host(), deployer);
        server.watchDeployer(settings.reconcileInterval());
        Thread loop = Thread.ofPlatform().name("ferry-deployer").daemon().start(() -> deployer.run(
                settings.reconcileInterval(),
                (report, elapsed) -> server.metrics().reconciled(report.map(Deployer.Report::ok).orElse(false),
                        report.map(r -> !r.steps().isEmpty()).orElse(false), elapsed)));
        Runnable stop = () -> {
            deployer.stop();
            try {
                loop.join(Duration.ofSeconds(30)); // a pass in progress finishes its step
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            systemd.close();
        };
        return new Started("ferry: deployer enabled for host " + settings.host() + " (units " + settings.unitPrefix()
                + "*, routes in Caddy's server 'ferry', created on " + settings.caddyListen() + " if missing, admin API "
                + settings.caddyAdminUrl() + ")",
                stop);
    }
}
