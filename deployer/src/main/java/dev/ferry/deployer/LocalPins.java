package dev.ferry.deployer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ferry.cache.Manifest;
import dev.ferry.nix.StorePath;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Local rollbacks ({@code ferry deployer rollback SERVICE}, for when the server is unreachable), in
 * {@code <state-dir>/pins.json}: service, the generation it was made against, and the store path to run instead of
 * that generation's. A pin holds only while that generation is the newest: the next generation replaces it. Written
 * only by the command (temp file and atomic move), read by the deployer.
 */
public final class LocalPins {
    static final String FILE = "pins.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private LocalPins() {
    }

    /** A store path a service runs on this host while {@code generation} is the newest. */
    public record Pin(long generation, StorePath path) {
    }

    static Map<String, Pin> read(Path stateDir) {
        Path file = stateDir.resolve(FILE);
        Map<String, Pin> pins = new TreeMap<>();
        if (!Files.exists(file)) {
            return pins;
        }
        try {
            JsonNode root = JSON.readTree(file.toFile());
            root.properties().forEach(e -> pins.put(e.getKey(), new Pin(e.getValue().path("generation").asLong(),
                    StorePath.parse(e.getValue().path("path").asText()))));
            return pins;
        } catch (IOException | RuntimeException e) {
            throw new DeployerException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Switches {@code service}'s profile to its previous generation and pins that store path against the generation
     * applied last, between passes: a pass applying a newer generation meanwhile would leave the pin stale, ignored.
     */
    public static Pin rollback(Path stateDir, NixStore nix, String service) {
        return PassLock.holding(stateDir, () -> {
            StorePath path = nix.rollback(service);
            long generation = DeployerState.read(stateDir).lastApplied();
            pin(stateDir, service, generation, path);
            return new Pin(generation, path);
        });
    }

    /** Records that {@code service} runs {@code path} instead of generation {@code generation}'s store path. */
    public static void pin(Path stateDir, String service, long generation, StorePath path) {
        Map<String, Pin> pins = read(stateDir);
        pins.put(service, new Pin(generation, path));
        ObjectNode root = JSON.createObjectNode();
        pins.forEach((name, pin) -> root.putObject(name).put("generation", pin.generation())
                .put("path", pin.path().absolute()));
        DeployerState.writeJson(stateDir.resolve(FILE), root);
    }

    /** {@code desired} with the pins made against its own generation applied. */
    static Desired apply(Desired desired, Map<String, Pin> pins) {
        List<Manifest.Service> services = new ArrayList<>();
        for (Manifest.Service s : desired.services()) {
            Pin pin = pins.get(s.name());
            services.add(pin == null || pin.generation() != desired.generation() ? s
                    : s.withArtifact(Manifest.Artifact.nixClosure(pin.path())));
        }
        return new Desired(desired.generation(), services, desired.sites());
    }
}
