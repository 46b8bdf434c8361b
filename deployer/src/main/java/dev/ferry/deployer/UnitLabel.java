package dev.ferry.deployer;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * What Ferry writes into a unit's {@code Description=} so that the running state can be observed with one
 * ListUnits call: {@code ferry service=web gen=3 spec=1a2b3c4d5e6f port=20123 path=/nix/store/...}. No secrets: the
 * same facts are in the manifest.
 */
record UnitLabel(String service, long generation, String spec, OptionalInt port, String storePath) {
    String render() {
        return "ferry service=" + service + " gen=" + generation + " spec=" + spec
                + (port.isPresent() ? " port=" + port.getAsInt() : "") + " path=" + storePath;
    }

    static Optional<UnitLabel> parse(String description) {
        if (!description.startsWith("ferry ")) {
            return Optional.empty();
        }
        Map<String, String> fields = new HashMap<>();
        for (String part : description.substring(6).split(" ")) {
            int eq = part.indexOf('=');
            if (eq > 0) {
                fields.put(part.substring(0, eq), part.substring(eq + 1));
            }
        }
        if (!fields.containsKey("service") || !fields.containsKey("spec")) {
            return Optional.empty();
        }
        try {
            return Optional.of(new UnitLabel(fields.get("service"), Long.parseLong(fields.get("gen")),
                    fields.get("spec"), fields.containsKey("port")
                            ? OptionalInt.of(Integer.parseInt(fields.get("port"))) : OptionalInt.empty(),
                    fields.getOrDefault("path", "")));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }
}
