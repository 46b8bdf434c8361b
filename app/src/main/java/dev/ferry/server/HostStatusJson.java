package dev.ferry.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ferry.deployer.DeployerState;
import dev.ferry.deployer.ServiceStatus;

/**
 * One deployer's status as JSON ({@code generation}, {@code services}, {@code errors}): what {@code GET /v1/hosts}
 * shows for the co-resident deployer and what an agent posts to {@code POST /v1/hosts/{host}}.
 */
public final class HostStatusJson {
    private HostStatusJson() {
    }

    public static ObjectNode of(DeployerState state) {
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.put("generation", state.lastApplied());
        ArrayNode services = root.putArray("services");
        for (ServiceStatus s : state.services()) {
            s.writeTo(services.addObject());
        }
        ArrayNode errors = root.putArray("errors");
        state.errors().forEach(errors::add);
        return root;
    }
}
