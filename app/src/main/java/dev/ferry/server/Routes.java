package dev.ferry.server;

import io.helidon.http.Method;
import io.helidon.http.PathMatchers;
import io.helidon.webserver.http.HttpRouting;

/** Every route of the server, in one place. {@link #routing} is shared by {@link FerryServer} and the tests. */
final class Routes {
    private static final io.helidon.http.MethodPredicate READ = Method.predicate(Method.GET, Method.HEAD);

    private Routes() {
    }

    static void routing(HttpRouting.Builder routing, ServedCache cache) {
        ObjectDownload objects = new ObjectDownload(cache.storage());
        routing
                .addFilter((chain, request, response) -> {
                    if (RequestKeys.hasDotSegment(request.prologue().uriPath().rawPath())) {
                        throw Refusal.badRequest("path has a '.' or '..' segment");
                    }
                    chain.proceed();
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
                .any("/cache/*", (request, response) -> {
                    throw Refusal.methodNotAllowed();
                })
                .any((request, response) -> {
                    throw Refusal.notFound();
                });
    }
}
