package dev.ferry.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.ferry.builder.BuildRecord;
import dev.ferry.builder.BuildRef;
import dev.ferry.builder.Deployment;
import dev.ferry.builder.Project;
import io.helidon.http.HeaderValues;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/** The JSON of the API: how builds, projects and deployments are shown, and reading small request bodies. */
final class Json {
    static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    static final long MAX_REQUEST_BODY = 64 * 1024;

    private Json() {
    }

    static void send(ServerResponse response, Status status, Object body) {
        byte[] bytes;
        try {
            bytes = MAPPER.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        response.status(status);
        response.header(HeaderValues.CONTENT_TYPE_JSON);
        response.send(bytes);
    }

    /** 400 naming the first field of {@code body} that is not one of {@code known}: a typo is not left unnoticed. */
    static void onlyFields(JsonNode body, String... known) {
        body.fieldNames().forEachRemaining(field -> {
            if (!java.util.List.of(known).contains(field)) {
                throw Refusal.badRequest("unknown field '" + dev.ferry.webhook.Events.escaped(field) + "' (known: "
                        + String.join(", ", known) + ")");
            }
        });
    }

    /** The request body as a JSON object; 400 for anything else (a field twice too), 413 over 64 KiB. */
    static JsonNode readObject(ServerRequest request) {
        return readObject(request, false);
    }

    /** As {@link #readObject(ServerRequest)}; with {@code emptyIsObject}, an empty body is {@code {}}. */
    static JsonNode readObject(ServerRequest request, boolean emptyIsObject) {
        byte[] body;
        try (InputStream in = request.content().inputStream()) {
            body = in.readNBytes((int) MAX_REQUEST_BODY + 1);
        } catch (IOException e) {
            throw Refusal.badRequest("the body cannot be read");
        }
        if (body.length > MAX_REQUEST_BODY) {
            throw Refusal.tooLarge(MAX_REQUEST_BODY);
        }
        if (emptyIsObject && body.length == 0) {
            return MAPPER.createObjectNode();
        }
        JsonNode node;
        try {
            // A field twice would be read as its last value: {"generation": 1, "generation": 2} rolled back to 2.
            node = MAPPER.reader().with(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                    .readTree(body);
        } catch (com.fasterxml.jackson.core.JsonParseException e) {
            throw Refusal.badRequest(e.getOriginalMessage().startsWith("Duplicate field")
                    ? "the body has a field twice: " + dev.ferry.webhook.Events.escaped(e.getOriginalMessage())
                    : "the body is not JSON");
        } catch (IOException e) {
            throw Refusal.badRequest("the body is not JSON");
        }
        if (node == null || !node.isObject()) {
            throw Refusal.badRequest("the body must be a JSON object");
        }
        return node;
    }

    static Optional<String> text(JsonNode object, String field) {
        JsonNode value = object.get(field);
        if (value == null || value.isNull()) {
            return Optional.empty();
        }
        if (!value.isTextual()) {
            throw Refusal.badRequest(field + " must be a string");
        }
        return Optional.of(value.asText());
    }

    static Map<String, Object> build(BuildRecord b, Instant now) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", b.id());
        m.put("project", b.project());
        m.put("action", b.action().name().toLowerCase(java.util.Locale.ROOT));
        m.put("ref", ref(b.ref()));
        m.put("branch", switch (b.ref()) {
            case BuildRef.Branch br -> br.name();
            case BuildRef.PullRequest pr -> pr.headBranch();
        });
        m.put("commit", b.commit().orElse(null));
        m.put("status", b.status().id());
        m.put("phase", b.phase().map(p -> p.id()).orElse(null));
        List<Map<String, Object>> phases = new java.util.ArrayList<>();
        for (int i = 0; i < b.phases().size(); i++) {
            BuildRecord.PhaseTiming t = b.phases().get(i);
            boolean current = i == b.phases().size() - 1 && !b.status().finished();
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("phase", t.phase().id());
            p.put("startedAt", t.startedAt().toString());
            p.put("durationMs", current ? Math.max(0, now.toEpochMilli() - t.startedAt().toEpochMilli())
                    : t.duration().toMillis());
            phases.add(p);
        }
        m.put("phases", phases);
        m.put("outputs", b.outputs());
        m.put("generation", optional(b.generation()));
        m.put("error", b.error().orElse(null));
        m.put("trigger", b.trigger().name().toLowerCase(java.util.Locale.ROOT));
        m.put("deliveryId", b.deliveryId().orElse(null));
        m.put("attempt", b.attempt());
        m.put("retryOf", optional(b.retryOf()));
        m.put("createdAt", b.createdAt().toString());
        m.put("startedAt", b.startedAt().map(Instant::toString).orElse(null));
        m.put("finishedAt", b.finishedAt().map(Instant::toString).orElse(null));
        return m;
    }

    static Map<String, Object> ref(BuildRef ref) {
        Map<String, Object> m = new LinkedHashMap<>();
        switch (ref) {
            case BuildRef.Branch b -> {
                m.put("kind", "branch");
                m.put("name", b.name());
            }
            case BuildRef.PullRequest p -> {
                m.put("kind", "pull_request");
                m.put("number", p.number());
                m.put("branch", p.headBranch());
            }
        }
        m.put("slug", ref.slug());
        return m;
    }

    static Map<String, Object> project(Project p, String source, boolean ownSecret) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", p.name());
        m.put("cloneUrl", p.redactedCloneUrl());
        m.put("productionBranch", p.productionBranch());
        m.put("source", source);
        m.put("webhookSecret", ownSecret ? "project" : "shared");
        return m;
    }

    static Map<String, Object> deployment(Deployment d) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", d.name());
        m.put("project", d.project());
        m.put("ref", ref(d.ref()));
        m.put("commit", d.commit());
        m.put("buildId", d.buildId());
        m.put("generation", d.generation());
        m.put("services", d.services());
        m.put("sites", d.sites());
        m.put("domains", d.domains());
        m.put("updatedAt", d.updatedAt().toString());
        return m;
    }

    private static Object optional(OptionalLong value) {
        return value.isPresent() ? value.getAsLong() : null;
    }
}
