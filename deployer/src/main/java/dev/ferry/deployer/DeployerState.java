package dev.ferry.deployer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeMap;

/**
 * The deployer's local bookkeeping in {@code <state-dir>/state.json}: the last generation applied, the specs that
 * failed (not retried until the manifest changes them), when those that failed for a reason that may mend itself are
 * tried again ({@link Backoff}), the status of each service, the last pass's errors, and the boot it ran in (a unit the
 * last pass saw is not missed after a reboot, which ends every transient unit). Everything else is observed afresh. Written to a temporary file and moved into place.
 */
public record DeployerState(long lastApplied, Map<String, String> failed, Map<String, Backoff> backoff,
                            List<ServiceStatus> services, List<String> errors, Optional<String> boot) {
    static final String FILE = "state.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    public DeployerState {
        failed = Map.copyOf(failed);
        backoff = Map.copyOf(backoff);
        java.util.Objects.requireNonNull(boot, "boot");
        services = List.copyOf(services);
        errors = List.copyOf(errors);
    }

    static DeployerState empty() {
        return new DeployerState(0, Map.of(), Map.of(), List.of(), List.of(), Optional.empty());
    }

    /** Reads the state file; a missing one is the empty state. */
    public static DeployerState read(Path stateDir) {
        Path file = stateDir.resolve(FILE);
        if (!Files.exists(file)) {
            return empty();
        }
        try {
            JsonNode root = JSON.readTree(file.toFile());
            Map<String, String> failed = new TreeMap<>();
            root.path("failed").properties().forEach(e -> failed.put(e.getKey(), e.getValue().asText()));
            Map<String, Backoff> backoff = new TreeMap<>();
            root.path("backoff").properties().forEach(e -> backoff.put(e.getKey(), new Backoff(
                    e.getValue().path("spec").asText(), e.getValue().path("failures").asInt(),
                    java.time.Instant.parse(e.getValue().path("next").asText()))));
            List<ServiceStatus> services = new ArrayList<>();
            for (JsonNode s : root.path("services")) {
                services.add(new ServiceStatus(s.path("name").asText(), s.path("state").asText(),
                        s.path("generation").asLong(), s.path("desiredPath").asText(), text(s, "runningPath"),
                        text(s, "unit"), text(s, "unitState"),
                        s.has("port") ? OptionalInt.of(s.path("port").asInt()) : OptionalInt.empty(),
                        text(s, "route"), text(s, "lastError"), s.has("restarts")
                        ? java.util.OptionalLong.of(s.path("restarts").asLong()) : java.util.OptionalLong.empty()));
            }
            List<String> errors = new ArrayList<>();
            root.path("errors").forEach(e -> errors.add(e.asText()));
            return new DeployerState(root.path("lastApplied").asLong(), failed, backoff, services, errors,
                    text(root, "boot"));
        } catch (IOException | java.time.format.DateTimeParseException e) {
            throw new DeployerException("cannot read the deployer state " + file + ": " + e.getMessage(), e);
        }
    }

    private static Optional<String> text(JsonNode node, String field) {
        return node.hasNonNull(field) ? Optional.of(node.path(field).asText()) : Optional.empty();
    }

    void write(Path stateDir) {
        ObjectNode root = JSON.createObjectNode();
        root.put("lastApplied", lastApplied);
        ObjectNode f = root.putObject("failed");
        new TreeMap<>(failed).forEach(f::put);
        ObjectNode b = root.putObject("backoff");
        new TreeMap<>(backoff).forEach((name, retry) -> b.putObject(name).put("spec", retry.spec())
                .put("failures", retry.failures()).put("next", retry.next().toString()));
        ArrayNode list = root.putArray("services");
        for (ServiceStatus s : services) {
            s.writeTo(list.addObject());
        }
        ArrayNode e = root.putArray("errors");
        errors.forEach(e::add);
        boot.ifPresent(id -> root.put("boot", id));
        writeJson(stateDir.resolve(FILE), root);
    }

    /** Writes {@code root} to {@code file}: to a temporary file next to it, then moved into place. */
    static void writeJson(Path file, ObjectNode root) {
        try {
            write(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new UncheckedIOException("writing " + file + " failed", e);
        }
    }

    /** Writes {@code bytes} to {@code file}: to a temporary file next to it, then moved into place. */
    static void write(Path file, byte[] bytes) {
        Path dir = file.getParent();
        try {
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp");
            try {
                Files.write(tmp, bytes);
                try {
                    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
                } catch (AtomicMoveNotSupportedException x) {
                    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
                }
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException x) {
            throw new UncheckedIOException("writing " + file + " failed", x);
        }
    }
}
