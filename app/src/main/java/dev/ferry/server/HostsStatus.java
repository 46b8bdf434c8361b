package dev.ferry.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ferry.deployer.DeployerState;
import dev.ferry.deployer.ServiceStatus;
import io.helidon.http.HeaderValues;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * {@code GET /v1/hosts}: each host's deployer and the status of its services. For now only the co-resident deployer
 * (agents do not report to the server yet); an empty list when none runs here.
 */
final class HostsStatus implements Handler {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final DeployerEndpoints endpoints;

    HostsStatus(DeployerEndpoints endpoints) {
        this.endpoints = endpoints;
    }

    @Override
    public void handle(ServerRequest request, ServerResponse response) {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode hosts = root.putArray("hosts");
        endpoints.deployer().ifPresent(d -> {
            DeployerState state = d.deployer().state();
            ObjectNode host = hosts.addObject();
            host.put("host", d.host());
            host.put("mode", "co-resident");
            host.put("generation", state.lastApplied());
            ArrayNode services = host.putArray("services");
            for (ServiceStatus s : state.services()) {
                ObjectNode n = services.addObject();
                n.put("name", s.name());
                n.put("state", s.state());
                n.put("desiredPath", s.desiredPath());
                s.runningPath().ifPresent(v -> n.put("runningPath", v));
                s.unit().ifPresent(v -> n.put("unit", v));
                s.unitState().ifPresent(v -> n.put("unitState", v));
                s.port().ifPresent(v -> n.put("port", v));
                s.route().ifPresent(v -> n.put("route", v));
                s.lastError().ifPresent(v -> n.put("lastError", v));
            }
            ArrayNode errors = host.putArray("errors");
            state.errors().forEach(errors::add);
        });
        response.header(HeaderValues.CONTENT_TYPE_JSON).send(root.toPrettyString() + "\n");
    }
}
