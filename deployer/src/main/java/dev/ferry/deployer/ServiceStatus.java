package dev.ferry.deployer;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * One service (or site) on this host after a reconcile pass. {@code state} is {@code serving} (HTTP, the desired
 * version behind its route), {@code active} (no HTTP, the desired version running), {@code site}, {@code failed}
 * (the desired version did not start or never got ready; {@code runningPath} shows what still serves) or
 * {@code pending} (not converged yet). {@code restarts}: how many times systemd started the serving unit again
 * ({@code NRestarts}), as the pass read it.
 */
public record ServiceStatus(String name, String state, long generation, String desiredPath,
                            Optional<String> runningPath, Optional<String> unit, Optional<String> unitState,
                            OptionalInt port, Optional<String> route, Optional<String> lastError,
                            java.util.OptionalLong restarts) {
    public boolean failed() {
        return state.equals("failed");
    }

    /** Writes this status into {@code n}: the one JSON shape of state.json, status reports and {@code /v1/hosts}. */
    public void writeTo(ObjectNode n) {
        n.put("name", name);
        n.put("state", state);
        n.put("generation", generation);
        n.put("desiredPath", desiredPath);
        runningPath.ifPresent(v -> n.put("runningPath", v));
        unit.ifPresent(v -> n.put("unit", v));
        unitState.ifPresent(v -> n.put("unitState", v));
        port.ifPresent(v -> n.put("port", v));
        route.ifPresent(v -> n.put("route", v));
        lastError.ifPresent(v -> n.put("lastError", v));
        restarts.ifPresent(v -> n.put("restarts", v));
    }
}
