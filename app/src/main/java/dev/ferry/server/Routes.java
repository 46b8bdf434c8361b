package dev.ferry.server;

import io.helidon.http.HeaderValues;
import io.helidon.http.Method;
import io.helidon.http.MethodPredicate;
import io.helidon.http.PathMatchers;
import io.helidon.webserver.CloseConnectionException;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerResponse;

/** Every route of the server, in one place. {@link #routing} is shared by {@link FerryServer} and the tests. */
final class Routes {
    private static final MethodPredicate READ = Method.predicate(Method.GET, Method.HEAD);

    private Routes() {
    }

    static void routing(HttpRouting.Builder routing, ServedCache cache) {
        routing(routing, cache, new DeployerEndpoints(dev.ferry.cache.ManifestStore.create(cache.storage())));
    }

    static void routing(HttpRouting.Builder routing, ServedCache cache, DeployerEndpoints deployer) {
        ObjectDownload objects = new ObjectDownload(cache.storage());
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
                // the deployer's: new generations by long poll, and what the co-resident deployer runs
                .get("/v1/manifest/wait", new ManifestWait(deployer))
                .get("/v1/hosts", new HostsStatus(deployer))
                .any("/cache/*", (request, response) -> {
                    throw Refusal.methodNotAllowed();
                })
                .any((request, response) -> {
                    throw Refusal.notFound();
                });
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
