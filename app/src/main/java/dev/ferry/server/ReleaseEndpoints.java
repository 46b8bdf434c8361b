package dev.ferry.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ferry.builder.BuildRecord;
import dev.ferry.builder.BuildStore;
import dev.ferry.builder.Deployment;
import dev.ferry.cache.Manifest;
import dev.ferry.cache.ManifestException;
import dev.ferry.cache.ManifestGeneration;
import dev.ferry.cache.ManifestStore;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code GET /v1/deployments}, {@code DELETE /v1/deployments/{name}}, {@code GET /v1/generations},
 * {@code POST /v1/rollback}.
 */
final class ReleaseEndpoints {
    /** What a deployment name can be ({@code <project>-<slug>}): anything else is not echoed in a 404. */
    private static final java.util.regex.Pattern DEPLOYMENT_NAME = java.util.regex.Pattern.compile("[a-z0-9-]{1,300}");

    private final Builds builds;

    ReleaseEndpoints(Builds builds) {
        this.builds = builds;
    }

    /**
     * The deployments as their last releases recorded them, each with whether the newest generation still names all
     * its entries ({@code inNewestGeneration}: false after a manifest-wide rollback to before it, or entries removed
     * by hand).
     */
    void deployments(ServerRequest request, ServerResponse response) {
        builds.auth.checkRead(request);
        Optional<ManifestGeneration> newest;
        boolean known = true;
        try {
            newest = builds.manifests.newest();
        } catch (RuntimeException e) {
            // Unreadable, or the storage did not answer: the rows as recorded, without the comparison.
            newest = Optional.empty();
            known = false;
        }
        java.util.Set<String> services = new java.util.HashSet<>();
        java.util.Set<String> sites = new java.util.HashSet<>();
        newest.ifPresent(g -> {
            g.manifest().services().forEach(sv -> services.add(sv.name()));
            g.manifest().sites().forEach(st -> sites.add(st.name()));
        });
        List<Map<String, Object>> list = new ArrayList<>();
        for (Deployment d : builds.deployments.all()) {
            Map<String, Object> entry = Json.deployment(d);
            if (known) {
                entry.put("inNewestGeneration", services.containsAll(d.services()) && sites.containsAll(d.sites()));
            }
            list.add(entry);
        }
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("newestGeneration", newest.map(g -> (Object) g.generation()).orElse(null));
        answer.put("deployments", list);
        Json.send(response, Status.OK_200, answer);
    }

    /**
     * Queues the teardown of deployment {@code name}, as its branch's deletion or its pull request's closing would
     * (202 with it, {@code trigger: api}): from the project and ref its row records, so it works for a project no
     * longer configured, and without asking the remote whether the branch is gone (an operator's request is not an
     * old delivery sent again). 404 for no such deployment.
     */
    void remove(ServerRequest request, ServerResponse response) {
        builds.auth.check(request);
        String name = request.path().pathParameters().get("name");
        Deployment deployment = builds.deployments.find(name).orElseThrow(() -> Refusal.notFound("no deployment "
                + "named " + (DEPLOYMENT_NAME.matcher(name).matches() ? name : "like that")));
        BuildRecord teardown = builds.queue.submit(BuildStore.NewBuild.teardown(deployment.project(),
                deployment.ref(), BuildRecord.Trigger.API));
        Json.send(response, Status.ACCEPTED_202, Json.build(teardown, Instant.now()));
    }

    /** Every generation, newest first, checked against the server's key; unreadable ones say so. */
    void generations(ServerRequest request, ServerResponse response) {
        builds.auth.checkRead(request);
        List<Long> numbers = new ArrayList<>(builds.manifests.generationNumbers());
        java.util.Collections.reverse(numbers);
        List<Map<String, Object>> list = new ArrayList<>();
        for (long n : numbers) {
            Map<String, Object> g = new LinkedHashMap<>();
            g.put("generation", n);
            try {
                Optional<ManifestGeneration> read = builds.manifests.read(n, builds.verifier());
                if (read.isEmpty()) {
                    g.put("state", "abandoned");
                } else {
                    Manifest m = read.get().manifest();
                    g.put("state", "valid");
                    g.put("createdAt", m.createdAt().toString());
                    g.put("reason", m.reason());
                    g.put("services", m.services().stream().map(s -> Map.of("name", s.name(),
                            "storePath", s.artifact().storePath().toString())).toList());
                    g.put("sites", m.sites().stream().map(Manifest.Site::name).toList());
                }
            } catch (ManifestException e) {
                g.put("state", "unreadable");
            }
            list.add(g);
        }
        Json.send(response, Status.OK_200, Map.of("generations", list));
    }

    /** Body {@code {"generation": K}}: a new generation with the services and sites of K. */
    void rollback(ServerRequest request, ServerResponse response) {
        builds.auth.check(request);
        JsonNode body = Json.readObject(request);
        Json.onlyFields(body, "generation");
        JsonNode k = body.get("generation");
        if (k == null || !k.canConvertToLong() || !k.isIntegralNumber() || k.asLong() < 1) {
            throw Refusal.badRequest("generation must be a positive integer");
        }
        long to = k.asLong();
        if (!builds.manifests.generationNumbers().contains(to)) {
            throw Refusal.notFound("no generation " + to);
        }
        ManifestStore.Update update;
        try {
            update = builds.manifests.rollback(builds.signingKey, builds.verifier(), to);
        } catch (ManifestException e) {
            // Not trusted, abandoned, or its closures collected since: the store's message names which.
            throw Refusal.conflict(e.getMessage().startsWith("cannot roll back") ? e.getMessage()
                    : "cannot roll back to generation " + to + ": " + e.getMessage());
        }
        if (update.written()) {
            builds.notifier.written(update.generation().generation());
        }
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("generation", update.generation().generation());
        answer.put("written", update.written());
        answer.put("rolledBackTo", to);
        Json.send(response, update.written() ? Status.CREATED_201 : Status.OK_200, answer);
    }
}
