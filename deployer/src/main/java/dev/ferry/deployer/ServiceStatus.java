package dev.ferry.deployer;

import java.util.Optional;
import java.util.OptionalInt;

/**
 * One service (or site) on this host after a reconcile pass. {@code state} is {@code serving} (HTTP, the desired
 * version behind its route), {@code active} (no HTTP, the desired version running), {@code site}, {@code failed}
 * (the desired version did not start or never got ready; {@code runningPath} shows what still serves) or
 * {@code pending} (not converged yet).
 */
public record ServiceStatus(String name, String state, long generation, String desiredPath,
                            Optional<String> runningPath, Optional<String> unit, Optional<String> unitState,
                            OptionalInt port, Optional<String> route, Optional<String> lastError) {
    public boolean failed() {
        return state.equals("failed");
    }
}
