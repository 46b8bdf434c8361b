package dev.ferry.deployer;

import dev.ferry.cache.Manifest;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

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
     * It hashes the service's canonical JSON without {@code hosts} and {@code revision}, which the unit is not made
     * from (a new host, or a commit that rebuilt the same store path, restarts nothing), so it changes only when the
     * service does, not when a newer Ferry adds a field the manifest leaves at its default.
     */
    static String spec(Manifest.Service service) {
        Manifest.Service unit = new Manifest.Service(service.name(), service.artifact(), List.of(), service.exec(),
                service.env(), service.envFile(), service.credentials(), service.http(), service.ready(),
                service.systemd(), service.hardening(), Optional.empty());
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(unit.toJson());
            return HexFormat.of().formatHex(digest, 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
