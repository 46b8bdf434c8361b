package dev.ferry.server;

import dev.ferry.builder.BuildQueue;
import dev.ferry.builder.BuildRecord;
import io.helidon.http.HeaderValues;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/** {@code GET /v1/builds}, {@code GET /v1/builds/{id}}, {@code GET /v1/builds/{id}/log}, {@code POST .../cancel}. */
final class BuildEndpoints {
    static final int DEFAULT_LIMIT = 50;
    static final int MAX_LIMIT = 500;

    private final Builds builds;

    BuildEndpoints(Builds builds) {
        this.builds = builds;
    }

    void list(ServerRequest request, ServerResponse response) {
        builds.auth.checkRead(request);
        var query = request.query();
        Optional<String> project = query.first("project").asOptional().filter(s -> !s.isEmpty());
        Optional<String> branch = query.first("branch").asOptional().filter(s -> !s.isEmpty());
        int limit = query.first("limit").asOptional().map(text -> {
            try {
                int n = Integer.parseInt(text);
                if (n >= 1 && n <= MAX_LIMIT) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // below
            }
            throw Refusal.badRequest("limit must be a number from 1 to " + MAX_LIMIT);
        }).orElse(DEFAULT_LIMIT);
        Instant now = Instant.now();
        Json.send(response, Status.OK_200, Map.of("builds", builds.builds.list(project, branch, limit).stream()
                .map(b -> Json.build(b, now)).toList()));
    }

    void get(ServerRequest request, ServerResponse response) {
        builds.auth.checkRead(request);
        Json.send(response, Status.OK_200, Json.build(find(request), Instant.now()));
    }

    /** The log as chunked text, following the build until it ends. */
    void log(ServerRequest request, ServerResponse response) {
        builds.auth.checkRead(request);
        BuildRecord build = find(request);
        response.header(HeaderValues.CONTENT_TYPE_TEXT_PLAIN);
        response.header(HeaderValues.create("X-Content-Type-Options", "nosniff"));
        try (OutputStream out = response.outputStream()) {
            builds.logs.follow(build.id(), out);
        } catch (IOException e) {
            // the client went away
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (UncheckedIOException e) {
            // the client went away
        }
    }

    void cancel(ServerRequest request, ServerResponse response) {
        builds.auth.check(request);
        BuildRecord build = find(request);
        BuildQueue.CancelOutcome outcome = builds.queue.cancel(build.id(), "cancelled through the API");
        switch (outcome) {
            case CANCELLED -> Json.send(response, Status.ACCEPTED_202,
                    Json.build(builds.builds.find(build.id()).orElseThrow(), Instant.now()));
            case RELEASING -> throw Refusal.conflict("build " + build.id()
                    + " is writing its release and cannot be cancelled");
            case NOT_ACTIVE -> throw Refusal.conflict("build " + build.id() + " has already ended ("
                    + builds.builds.find(build.id()).orElseThrow().status().id() + ")");
        }
    }

    private BuildRecord find(ServerRequest request) {
        String text = request.path().pathParameters().get("id");
        long id;
        try {
            id = Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw Refusal.notFound("no such build");
        }
        return builds.builds.find(id).orElseThrow(() -> Refusal.notFound("no build " + id));
    }
}
