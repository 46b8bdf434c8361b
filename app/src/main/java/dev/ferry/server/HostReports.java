package dev.ferry.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The last status each reporting agent posted ({@code POST /v1/hosts/{host}}), with the time it arrived. Observed
 * state, kept in memory only: a restarted server lists an agent again after its next pass. Agents present the token
 * of {@code ferry.deployer.report-token-file} as a bearer token, compared as an {@link AccessToken}; without a token
 * file reports are refused (403).
 */
public final class HostReports {
    static final Pattern HOST = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,252}");
    static final int MAX_SERVICES = 1000;

    /** One host's last report: its status JSON (generation, services, errors) and when it arrived. */
    record Reported(String host, ObjectNode status, Instant at) {
    }

    private final Optional<AccessToken> token;
    private final Clock clock;
    private final Map<String, Reported> reports = new ConcurrentHashMap<>();

    private HostReports(Optional<AccessToken> token, Clock clock) {
        this.token = token;
        this.clock = clock;
    }

    /** Reports refused: no token file. */
    static HostReports disabled() {
        return new HostReports(Optional.empty(), Clock.systemUTC());
    }

    static HostReports token(String token, Clock clock) {
        return new HostReports(Optional.of(AccessToken.of(token, "report")), clock);
    }

    /** Reads {@code ferry.deployer.report-token-file}: its content without surrounding whitespace. */
    public static HostReports fromFile(Path file) {
        return new HostReports(Optional.of(AccessToken.fromFile(file, DeployerConfig.REPORT_TOKEN_FILE, "report")),
                Clock.systemUTC());
    }

    /** The token in {@code file} (for the agent, which sends it), without surrounding whitespace. */
    public static String readToken(Path file) {
        return AccessToken.read(file, DeployerConfig.REPORT_TOKEN_FILE);
    }

    /** Refuses a report without the token (401), or any report when there is no token file (403). */
    void authorize(Optional<String> authorization) {
        if (token.isEmpty()) {
            throw Refusal.forbidden("host reports are disabled on this server (no ferry.deployer.report-token-file)");
        }
        token.get().require(authorization.flatMap(AccessToken::bearer), "report", "Authorization: Bearer TOKEN");
    }

    /** Checks the report's shape (400 naming the problem) and keeps it as {@code host}'s last, stamped now. */
    void accept(String host, JsonNode body) {
        if (!HOST.matcher(host).matches()) {
            throw Refusal.badRequest("host name '" + abbreviate(host) + "' is not letters, digits, '.', '_', '-'");
        }
        JsonNode generation = body.get("generation");
        if (generation == null || !generation.canConvertToLong() || !generation.isIntegralNumber()
                || generation.asLong() < 0) {
            throw Refusal.badRequest("generation must be a whole number >= 0");
        }
        JsonNode services = body.get("services");
        if (services == null || !services.isArray() || services.size() > MAX_SERVICES) {
            throw Refusal.badRequest("services must be a list (at most " + MAX_SERVICES + ")");
        }
        ObjectNode status = Json.MAPPER.createObjectNode();
        status.put("generation", generation.asLong());
        ArrayNode kept = status.putArray("services");
        for (JsonNode service : services) {
            if (!service.isObject() || !service.path("name").isTextual() || !service.path("state").isTextual()) {
                throw Refusal.badRequest("each service must be an object with text fields name and state");
            }
            ObjectNode copy = kept.addObject();
            for (String field : List.of("name", "state", "desiredPath", "runningPath", "unit", "unitState", "route",
                    "lastError")) {
                JsonNode value = service.get(field);
                if (value != null && !value.isNull()) {
                    if (!value.isTextual()) {
                        throw Refusal.badRequest("service field " + field + " must be text");
                    }
                    copy.put(field, value.asText());
                }
            }
            JsonNode port = service.get("port");
            if (port != null && !port.isNull()) {
                if (!port.isInt() || port.asInt() < 1 || port.asInt() > 65535) {
                    throw Refusal.badRequest("service field port must be a port number");
                }
                copy.put("port", port.asInt());
            }
            JsonNode restarts = service.get("restarts");
            if (restarts != null && !restarts.isNull()) {
                if (!restarts.canConvertToLong() || !restarts.isIntegralNumber() || restarts.asLong() < 0) {
                    throw Refusal.badRequest("service field restarts must be a count");
                }
                copy.put("restarts", restarts.asLong());
            }
        }
        ArrayNode errors = status.putArray("errors");
        JsonNode given = body.path("errors");
        if (!given.isMissingNode() && !given.isArray()) {
            throw Refusal.badRequest("errors must be a list of text");
        }
        for (JsonNode e : given) {
            if (!e.isTextual()) {
                throw Refusal.badRequest("errors must be a list of text");
            }
            errors.add(e.asText());
        }
        reports.put(host, new Reported(host, status, clock.instant()));
    }

    /** The last report of every host, by host name. */
    List<Reported> all() {
        return reports.values().stream().sorted(java.util.Comparator.comparing(Reported::host)).toList();
    }

    Instant now() {
        return clock.instant();
    }

    private static String abbreviate(String text) {
        return text.length() <= 64 ? text : text.substring(0, 64) + "...";
    }
}
