package dev.ferry.deployer;

import dev.ferry.nix.PublicKey;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * The {@code ferry.deployer.*} settings (docs/configuration.md), checked. The app reads them from Helidon config;
 * the deployer itself knows nothing of configuration files.
 */
public record DeployerSettings(String manifestUri, String host, List<PublicKey> trustedKeys,
                               List<String> substituters, Path profilesDir, int keepGenerations, Path stateDir,
                               String systemdBus, String unitPrefix, int portFirst, int portLast, URI caddyAdminUrl,
                               String caddyListen, Duration pollInterval, Duration reconcileInterval) {
    public static final String SLICE = "ferry.slice";

    public DeployerSettings {
        Objects.requireNonNull(manifestUri, "manifestUri");
        trustedKeys = List.copyOf(trustedKeys);
        substituters = List.copyOf(substituters);
        if (trustedKeys.isEmpty()) {
            throw new DeployerException("ferry.deployer.trusted-keys: at least one key is needed (name:base64); "
                    + "without one no manifest can be trusted");
        }
        if (host.isBlank()) {
            throw new DeployerException("ferry.deployer.host: empty");
        }
        if (keepGenerations < 1) {
            throw new DeployerException("ferry.deployer.keep-generations: " + keepGenerations + " is below 1");
        }
        if (!unitPrefix.matches("[a-z][a-z0-9-]*-")) {
            throw new DeployerException("ferry.deployer.unit-prefix: '" + unitPrefix + "' must be lower-case "
                    + "letters, digits and dashes, starting with a letter and ending with '-'");
        }
        PortAllocator.range(portFirst, portLast);
        if (pollInterval.isNegative() || pollInterval.isZero() || reconcileInterval.isNegative()
                || reconcileInterval.isZero()) {
            throw new DeployerException("ferry.deployer.poll-interval and reconcile-interval must be positive");
        }
    }

    /**
     * Whether the bus is a user manager's, which cannot switch users or set up every namespace: {@code user}, or an
     * address under {@code /run/user/}.
     */
    public boolean userManager() {
        return userManager(systemdBus);
    }

    /** Whether {@code systemdBus} (a {@code ferry.deployer.systemd-bus} value) is a user manager's: see above. */
    public static boolean userManager(String systemdBus) {
        return systemdBus.equals("user") || (!systemdBus.equals("system") && systemdBus.contains("/run/user/"));
    }

    /** Parses {@code 20000-29999}. */
    public static int[] parsePortRange(String text) {
        String[] parts = text.strip().split("-");
        try {
            if (parts.length == 2) {
                int first = Integer.parseInt(parts[0].strip());
                int last = Integer.parseInt(parts[1].strip());
                PortAllocator.range(first, last);
                return new int[] {first, last};
            }
        } catch (NumberFormatException e) {
            // fall through to the error below
        }
        throw new DeployerException("ferry.deployer.port-range: '" + text + "' is not FIRST-LAST (e.g. 20000-29999)");
    }
}
