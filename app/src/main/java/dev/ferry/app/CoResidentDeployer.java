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
import java.util.List;

/**
 * {@code ferry serve} with {@code ferry.deployer.enabled: true}: a deployer in the server's process, reading the
 * server's own manifests, trusting the server's key and substituting from its {@code /cache} unless configured
 * otherwise, woken by every generation written in the process.
 */
public final class CoResidentDeployer {
    private static final long WATCH_MILLIS = 250;

    private CoResidentDeployer() {
    }

    /** Starts the deployer's loop on its own thread; returns the line to print. */
    public static String start(FerryServer server, ServerConfig config, DeployerConfig deployerConfig) {
        DeployerSettings settings = deployerConfig.settings(config.cacheUri().toString(),
                List.of(server.publicKey()), List.of(server.cacheUrl()));
        Systemd systemd = Systemd.connect(settings.systemdBus());
        Deployer deployer = Deployer.create(settings, ManifestStore.create(server.storage()), systemd,
                Caddy.admin(settings.caddyAdminUrl()), NixStore.cli(ProcessRunner.local(), settings.profilesDir()),
                ReadyCheck.http());
        server.deployer().attach(settings.host(), deployer);
        server.watchDeployer(settings.reconcileInterval());
        Thread.ofPlatform().name("ferry-deployer").daemon().start(() -> deployer.run(settings.reconcileInterval(),
                (report, elapsed) -> server.metrics().reconciled(report.map(Deployer.Report::ok).orElse(false),
                        report.map(r -> !r.steps().isEmpty()).orElse(false), elapsed)));
        Thread.ofVirtual().name("ferry-manifest-watch").start(() -> watch(ManifestStore.create(server.storage()),
                deployer));
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            deployer.stop();
            systemd.close();
        }, "ferry-deployer-stop"));
        return "ferry: deployer enabled for host " + settings.host() + " (units " + settings.unitPrefix()
                + "*, Caddy " + settings.caddyAdminUrl() + ")";
    }

    /** Wakes the deployer when a generation appears that was written by another process (every 250 ms). */
    private static void watch(ManifestStore manifests, Deployer deployer) {
        long seen = -1;
        while (true) {
            try {
                long top = manifests.top();
                if (seen >= 0 && top > seen) {
                    deployer.wake();
                }
                seen = top;
            } catch (RuntimeException e) {
                // Storage hiccup: the next look, or the reconcile interval, catches up.
            }
            try {
                Thread.sleep(WATCH_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
        }
    }
}
