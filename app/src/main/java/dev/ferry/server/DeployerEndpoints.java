package dev.ferry.server;

import dev.ferry.cache.ManifestStore;
import dev.ferry.deployer.Deployer;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * What the {@code /v1/manifest/wait} and {@code /v1/hosts} endpoints work on: the server's manifests, the notifier
 * of new generations, the co-resident deployer once one runs, and the agents' last reports.
 */
public final class DeployerEndpoints {
    private final ManifestStore manifests;
    private final GenerationNotifier notifier = new GenerationNotifier();
    private final AtomicReference<Optional<HostDeployer>> deployer = new AtomicReference<>(Optional.empty());
    private final AtomicReference<HostReports> reports = new AtomicReference<>(HostReports.disabled());

    /** A deployer running in this process, for {@code host}. */
    public record HostDeployer(String host, Deployer deployer) {
    }

    DeployerEndpoints(ManifestStore manifests) {
        this.manifests = manifests;
    }

    ManifestStore manifests() {
        return manifests;
    }

    public GenerationNotifier notifier() {
        return notifier;
    }

    Optional<HostDeployer> deployer() {
        return deployer.get();
    }

    HostReports reports() {
        return reports.get();
    }

    /** Accepts agents' reports ({@code POST /v1/hosts/{host}}) presenting this token (from its file). */
    public void acceptReports(HostReports accepted) {
        reports.set(accepted);
    }

    /** Registers the co-resident deployer: it is woken by every generation written here and shown in /v1/hosts. */
    public void attach(String host, Deployer running) {
        deployer.set(Optional.of(new HostDeployer(host, running)));
        notifier.onWritten(running::wake);
    }
}
