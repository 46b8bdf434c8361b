package dev.ferry.server;

import dev.ferry.nix.StorePath;
import io.helidon.http.Status;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.nio.charset.StandardCharsets;

/**
 * {@code PUT /cache/nix-cache-info}: Nix writes one when its {@code GET} finds none. Ferry writes its own at start,
 * so this only happens if it was deleted since; the upload is accepted if it names the same store directory, and
 * Ferry's own is (re)written instead.
 */
final class CacheInfoUpload implements Handler {
    private static final int MAX_SIZE = 64 << 10;

    private final ServedCache cache;

    CacheInfoUpload(ServedCache cache) {
        this.cache = cache;
    }

    @Override
    public void handle(ServerRequest request, ServerResponse response) {
        cache.uploads().check(request);
        String text = new String(UploadBodies.read(request, MAX_SIZE), StandardCharsets.UTF_8);
        for (String line : text.split("\n")) {
            if (line.startsWith("StoreDir: ") && !line.substring("StoreDir: ".length()).strip().equals(StorePath.STORE_DIR)) {
                throw Refusal.badRequest("this cache serves " + StorePath.STORE_DIR);
            }
        }
        cache.cache().ensureCacheInfo();
        response.status(Status.NO_CONTENT_204).send();
    }
}
