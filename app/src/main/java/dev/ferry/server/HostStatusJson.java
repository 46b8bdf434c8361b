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
        ArrayNode errors = root.putArray("errors");
        state.errors().forEach(errors::add);
        return root;
    }
}
