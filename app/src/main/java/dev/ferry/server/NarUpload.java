package dev.ferry.server;

import io.helidon.http.Status;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.util.regex.Pattern;

/**
 * {@code PUT /cache/nar/<file>}: a compressed NAR, as {@code nix copy --to http://...} sends it before its narinfo.
 * It is streamed into storage (never held whole) and appears only once complete. It is checked when its narinfo
 * arrives ({@link NarInfoUpload}); until then it is an orphan, which nothing refers to.
 */
final class NarUpload implements Handler {
    /** {@code <nix32 sha256>.nar[.xz|.zst]}: how Nix names NARs (by file hash) and how Ferry does (by NAR hash). */
    static final Pattern FILE_NAME = Pattern.compile("nar/[0-9abcdfghijklmnpqrsvwxyz]{52}\\.nar(\\.xz|\\.zst)?");

    private final ServedCache cache;

    NarUpload(ServedCache cache) {
        this.cache = cache;
    }

    @Override
    public void handle(ServerRequest request, ServerResponse response) {
        cache.uploads().check(request);
        String key = RequestKeys.key(request);
        if (!FILE_NAME.matcher(key).matches()) {
            throw Refusal.badRequest("NAR files are nar/<nix32 sha256>.nar, .nar.xz or .nar.zst "
                    + "(Ferry accepts the compressions none, xz and zstd)");
        }
        long length = UploadBodies.declaredLength(request, cache.maxUploadSize());
        cache.storage().write(key, length, out -> UploadBodies.copy(request, out, cache.maxUploadSize()));
        response.status(Status.NO_CONTENT_204).send();
    }
}
