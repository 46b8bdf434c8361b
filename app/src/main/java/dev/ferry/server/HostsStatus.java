package dev.ferry.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.http.HeaderValues;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code GET /v1/hosts}: each host's deployer and the status of its services: the co-resident deployer (mode
 * {@code co-resident}, read from its state now), every agent that reported (mode {@code reporting}, its last
 * report with {@code reportedAt} and {@code ageSeconds}), and every other host the newest manifest names (mode
 * {@code unreported}, with the entries it is {@code expected} to run): a host no deployer serves shows there.
 * {@code POST /v1/hosts/{host}}: an agent's report.
 */
final class HostsStatus {
    /** How long the hosts the newest manifest names are reused: the endpoint is open, the storage may be S3. */
    private static final Duration TARGETS_TTL = Duration.ofSeconds(5);

    private final DeployerEndpoints endpoints;
    private final AtomicReference<Targets> targets = new AtomicReference<>(new Targets(-1, Instant.EPOCH,
            Map.of()));

    /** The entries the newest manifest puts on each named host, as read at {@code readAt}. */
    private record Targets(long changes, Instant readAt, Map<String, List<String>> byHost) {
    }

    HostsStatus(DeployerEndpoints endpoints) {
        this.endpoints = endpoints;
    }

    void list(ServerRequest request, ServerResponse response) {
        ObjectNode root = Json.MAPPER.createObjectNode();
        ArrayNode hosts = root.putArray("hosts");
        endpoints.deployer().ifPresent(d -> {
            ObjectNode host = hosts.addObject();
            host.put("host", d.host());
            host.put("mode", "co-resident");
            host.setAll(HostStatusJson.of(d.deployer().state()));
        });
        Instant now = endpoints.reports().now();
        for (HostReports.Reported r : endpoints.reports().all()) {
            ObjectNode host = hosts.addObject();
            host.put("host", r.host());
            host.put("mode", "reporting");
            host.put("reportedAt", r.at().toString());
            host.put("ageSeconds", Math.max(0, Duration.between(r.at(), now).toSeconds()));
            host.setAll(r.status());
        }
        Set<String> listed = new HashSet<>();
        hosts.forEach(h -> listed.add(h.path("host").asText()));
        targets(now).byHost().forEach((name, entries) -> {
            if (!listed.contains(name)) {
                ObjectNode host = hosts.addObject();
                host.put("host", name);
                host.put("mode", "unreported");
                entries.forEach(host.putArray("expected")::add);
            }
        });
        response.header(HeaderValues.CONTENT_TYPE_JSON).send(root.toPrettyString() + "\n");
    }

    /**
     * The hosts the newest manifest names in its services' and sites' {@code hosts} (an empty list means every host:
     * no name), read again after a generation is written here or {@link #TARGETS_TTL} has passed.
     */
    private Targets targets(Instant now) {
        Targets known = targets.get();
        long changes = endpoints.notifier().changes();
        if (known.changes() == changes && Duration.between(known.readAt(), now).compareTo(TARGETS_TTL) < 0) {
            return known;
        }
        Map<String, List<String>> byHost = new TreeMap<>();
        try {
            endpoints.manifests().newest().ifPresent(g -> {
                g.manifest().services().forEach(s -> s.hosts().forEach(h -> byHost.computeIfAbsent(h,
                        k -> new ArrayList<>()).add(s.name())));
                g.manifest().sites().forEach(s -> s.hosts().forEach(h -> byHost.computeIfAbsent(h,
                        k -> new ArrayList<>()).add(s.name())));
            });
        } catch (RuntimeException e) {
            // The storage did not answer: what was known, and not asked again for a while (the endpoint is open).
            Targets kept = new Targets(changes, now, known.byHost());
            targets.set(kept);
            return kept;
        }
        Targets fresh = new Targets(changes, now, Collections.unmodifiableMap(byHost));
        targets.set(fresh);
        return fresh;
    }

    void report(ServerRequest request, ServerResponse response) {
        endpoints.reports().authorize(request.headers().first(io.helidon.http.HeaderNames.AUTHORIZATION));
        String host = request.path().pathParameters().get("host");
        endpoints.reports().accept(host, Json.readObject(request));
        response.status(Status.NO_CONTENT_204).send();
    }
}
