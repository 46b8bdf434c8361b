package dev.ferry.server;

import dev.ferry.nix.StorePath;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/** {@code GET}/{@code HEAD /cache/<hash>.narinfo}: the hash is checked before any lookup, so garbage is a 400, not a scan. */
final class NarInfoDownload implements Handler {
    static final String SUFFIX = ".narinfo";

    private final ServedCache cache;

    NarInfoDownload(ServedCache cache) {
        this.cache = cache;
    }

    @Override
    public void handle(ServerRequest request, ServerResponse response) {
        String key = RequestKeys.key(request);
        hashPart(key);
        try {
            ObjectDownload.send(cache.storage(), key, request, response);
        } catch (Refusal e) {
            cache.metrics().narinfo(false);
            throw e;
        }
        cache.metrics().narinfo(true);
    }

    /** The store path hash a narinfo key names, or a 400. */
    static String hashPart(String key) {
        String hash = key.endsWith(SUFFIX) ? key.substring(0, key.length() - SUFFIX.length()) : "";
        if (!StorePath.isHashPart(hash)) {
            throw Refusal.badRequest("not a store path hash: narinfo names are <32 nix32 characters>.narinfo");
        }
        return hash;
    }
}
