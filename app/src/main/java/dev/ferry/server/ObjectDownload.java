package dev.ferry.server;

import dev.ferry.cache.Storage;
import dev.ferry.cache.StoredObject;
import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.http.Status;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;

/**
 * {@code GET}/{@code HEAD /cache/<key>}: any object of the cache ({@code nix-cache-info}, {@code nar/...},
 * {@code manifest.json}, {@code manifests/...}), streamed from storage with its size as {@code Content-Length}. The
 * object is opened before any header is sent, so a missing one is a clean 404, and a body that ends early closes the
 * connection instead of passing for a complete response.
 */
final class ObjectDownload implements Handler {
    private final Storage storage;
    private final Metrics metrics;

    ObjectDownload(Storage storage, Metrics metrics) {
        this.storage = storage;
        this.metrics = metrics;
    }

    @Override
    public void handle(ServerRequest request, ServerResponse response) {
        String key = RequestKeys.key(request);
        long sent = send(storage, key, request, response);
        if (key.startsWith("nar/")) {
            metrics.narBytesServed(sent);
        }
    }

    /** Sends the object; returns the bytes of its body sent (0 for HEAD). */
    static long send(Storage storage, String key, ServerRequest request, ServerResponse response) {
        if (request.prologue().method() == Method.HEAD) {
            long size = storage.size(key).orElseThrow(Refusal::notFound);
            headers(response, key, size);
            response.send();
            return 0;
        }
        try (StoredObject object = storage.open(key).orElseThrow(Refusal::notFound)) {
            headers(response, key, object.size());
            OutputStream out = response.outputStream();
            long sent = object.body().transferTo(out);
            if (sent != object.size()) {
                throw new IOException(key + " ended after " + sent + " of " + object.size() + " bytes");
            }
            out.close(); // only on success: on failure Helidon closes the connection
            return sent;
        } catch (IOException e) {
            throw new UncheckedIOException("sending " + key + ": " + e.getMessage(), e);
        }
    }

    private static void headers(ServerResponse response, String key, long size) {
        response.status(Status.OK_200);
        response.header(HeaderNames.CONTENT_TYPE, contentType(key));
        response.headers().contentLength(size);
    }

    static String contentType(String key) {
        if (key.equals("nix-cache-info")) {
            return "text/x-nix-cache-info";
        } else if (key.endsWith(".narinfo")) {
            return "text/x-nix-narinfo";
        } else if (key.startsWith("nar/")) {
            return "application/x-nix-nar";
        } else if (key.endsWith(".json")) {
            return "application/json";
        } else if (key.endsWith(".sig") || key.startsWith("log/")) {
            return "text/plain; charset=utf-8";
        }
        return "application/octet-stream";
    }
}
