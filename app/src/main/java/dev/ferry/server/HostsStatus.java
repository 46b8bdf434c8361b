package dev.ferry.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.http.HeaderValues;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.time.Duration;
import java.time.Instant;

/**
 * {@code GET /v1/hosts}: each host's deployer and the status of its services: the co-resident deployer (mode
 * {@code co-resident}, read from its state now) and every agent that reported (mode {@code reporting}, its last
 * report with {@code reportedAt} and {@code ageSeconds}). {@code POST /v1/hosts/{host}}: an agent's report.
 */
final class HostsStatus {
    private final DeployerEndpoints endpoints;

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
        response.header(HeaderValues.CONTENT_TYPE_JSON).send(root.toPrettyString() + "\n");
    }

    void report(ServerRequest request, ServerResponse response) {
        endpoints.reports().authorize(request.headers().first(io.helidon.http.HeaderNames.AUTHORIZATION));
        String host = request.path().pathParameters().get("host");
        endpoints.reports().accept(host, Json.readObject(request));
        response.status(Status.NO_CONTENT_204).send();
    }
}
