package dev.ferry.server;

import io.helidon.http.HeaderValues;
import io.helidon.http.Method;
import io.helidon.http.MethodPredicate;
import io.helidon.http.PathMatchers;
import io.helidon.webserver.CloseConnectionException;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerResponse;
import java.util.Optional;

/** Every route of the server, in one place. {@link #routing} is shared by {@link FerryServer} and the tests. */
final class Routes {
    private static final MethodPredicate READ = Method.predicate(Method.GET, Method.HEAD);

    private Routes() {
    }

    static void routing(HttpRouting.Builder routing, ServedCache cache) {
        routing(routing, cache, Optional.empty(),
                new DeployerEndpoints(dev.ferry.cache.ManifestStore.create(cache.storage())),
                new Health(cache.storage(), Optional.empty(), cache.metrics(), java.time.Clock.systemUTC()));
    }

    /**
     * The cache routes, the deployer's ({@code /v1/manifest/wait}, {@code /v1/hosts}), and with {@code builds} the
     * webhook and the JSON API (docs/api.md); {@code /metrics} and {@code /v1/healthz} for monitoring.
     */
    static void routing(HttpRouting.Builder routing, ServedCache cache, Optional<Builds> builds,
                        DeployerEndpoints deployer, Health health) {
        ObjectDownload objects = new ObjectDownload(cache.storage(), cache.metrics());
        HostsStatus hosts = new HostsStatus(deployer);
        routing
                .addFilter((chain, request, response) -> {
                    // Helidon routes on the normalised path (/cache/../x is routed as /x): refuse such paths first.
                    if (RequestKeys.hasDotSegment(request.prologue().uriPath().rawPath())) {
                        ErrorResponses.handle(request, response, Refusal.badRequest("path has a '.' or '..' segment"));
                    } else {
                        chain.proceed();
                    }
                    closeIfPromised(response);
                })
                .error(Throwable.class, ErrorResponses::handle)
                // reading: the substituter (narinfo hashes are checked before any lookup), manifests, anything else
                .route(READ, PathMatchers.create("/cache/{hash}.narinfo"), new NarInfoDownload(cache))
                .route(READ, PathMatchers.create("/cache/*"), objects)
                // uploading, as nix copy --to http://... does: NARs, then narinfos (after their references)
                .put("/cache/nix-cache-info", new CacheInfoUpload(cache))
                .put("/cache/nar/{file}", new NarUpload(cache))
                .put("/cache/{hash}.narinfo", new NarInfoUpload(cache))
                .put("/cache/*", (request, response) -> {
                    cache.uploads().check(request);
                    throw Refusal.methodNotAllowed();
                })
                // the deployer's: new generations by long poll, what the co-resident deployer runs and agents report
                .get("/v1/manifest/wait", new ManifestWait(deployer))
                .get("/v1/hosts", hosts::list)
                .post("/v1/hosts/{host}", hosts::report)
                // monitoring: open to all, like the cache (no secrets in either)
                .get("/metrics", (request, response) -> response
                        .header(io.helidon.http.HeaderNames.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")
                        .send(cache.metrics().render()))
                .get("/v1/healthz", health)
                .any("/cache/*", (request, response) -> {
                    throw Refusal.methodNotAllowed();
                });
        builds.ifPresent(b -> buildRoutes(routing, b));
        routing
                .any((request, response) -> {
                    throw Refusal.notFound();
                });
    }

    private static void buildRoutes(HttpRouting.Builder routing, Builds builds) {
        ProjectEndpoints projects = new ProjectEndpoints(builds);
        BuildEndpoints buildEndpoints = new BuildEndpoints(builds);
        ReleaseEndpoints releases = new ReleaseEndpoints(builds);
        routing
                .post("/webhook", new WebhookEndpoint(builds))
                .get("/v1/projects", projects::list)
                .post("/v1/projects", projects::add)
                .post("/v1/projects/{name}/builds", projects::build)
                .get("/v1/builds", buildEndpoints::list)
                .get("/v1/builds/{id}", buildEndpoints::get)
                .get("/v1/builds/{id}/log", buildEndpoints::log)
                .post("/v1/builds/{id}/cancel", buildEndpoints::cancel)
                .get("/v1/deployments", releases::deployments)
                .delete("/v1/deployments/{name}", releases::remove)
                .get("/v1/generations", releases::generations)
                .post("/v1/rollback", releases::rollback);
    }

    /**
     * Helidon 4.1.7 sends {@code Connection: close} (asked for by the client, or by {@link ErrorResponses} for a
     * refused upload whose body was not read) but keeps reading the socket (helidon-io/helidon#12324, reported
     * against 4.4.1 and 4.5.3 and fixed after them). Ending the connection here keeps the promise: a client that
     * reads to end of stream is not left waiting, and an unread upload body is never parsed as the next request.
     */
    private static void closeIfPromised(ServerResponse response) {
        if (response.isSent() && response.headers().contains(HeaderValues.CONNECTION_CLOSE)) {
            throw new CloseConnectionException("Connection: close was sent");
        }
    }
}
