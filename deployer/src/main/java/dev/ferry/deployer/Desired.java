package dev.ferry.deployer;

import dev.ferry.cache.Manifest;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * A verified manifest generation, filtered to the services and sites that this host runs: those whose {@code hosts}
 * name it, or is empty (every host, as docs/manifest.md says).
 */
record Desired(long generation, List<Manifest.Service> services, List<Manifest.Site> sites) {
    static Desired of(Manifest manifest, String host) {
        return new Desired(manifest.generation(),
                manifest.services().stream().filter(s -> runsOn(s.hosts(), host)).toList(),
                manifest.sites().stream().filter(s -> runsOn(s.hosts(), host)).toList());
    }

    private static boolean runsOn(List<String> hosts, String host) {
        return hosts.isEmpty() || hosts.contains(host);
    }

    static Desired none() {
        return new Desired(0, List.of(), List.of());
    }

    /**
     * What identifies an activation: a hash of everything in the service that the unit is made from. Equal specs
     * mean the running unit is the desired one; a new generation that leaves a service alone does not restart it.
     */
    static String spec(Manifest.Service service) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest(service.toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
