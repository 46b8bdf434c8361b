package dev.ferry.server;

import dev.ferry.cache.BinaryCache;
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
import java.util.Optional;

/**
 * {@code GET}/{@code HEAD /cache/<key>}: any object of the cache ({@code nix-cache-info}, {@code nar/...},
 * {@code manifest.json}, {@code manifests/...}), streamed from storage with its size as {@code Content-Length}. The
 * object is opened before any header is sent, so a missing one is a clean 404, and a body that ends early closes the
 * connection instead of passing for a complete response. NARs, which never change under their name, are also served
 * in part ({@code Range}, 206) and say so ({@code Accept-Ranges: bytes}): Nix resumes a NAR download that broke off
 * only from a server that does, and fails it otherwise.
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
        if (key.startsWith(BinaryCache.NAR_PREFIX)) {
            metrics.narBytesServed(sent);
        }
    }

    /** Sends the object, or the part a {@code Range} asks for; returns the bytes of its body sent (0 for HEAD). */
    static long send(Storage storage, String key, ServerRequest request, ServerResponse response) {
        boolean ranges = key.startsWith(BinaryCache.NAR_PREFIX);
        if (request.prologue().method() == Method.HEAD) {
            long size = storage.size(key).orElseThrow(Refusal::notFound);
            headers(response, key, size, ranges);
            response.send();
            return 0;
        }
        Optional<String> range = ranges && !request.headers().contains(HeaderNames.IF_RANGE)
                ? request.headers().first(HeaderNames.RANGE) : Optional.empty();
        if (range.isPresent()) {
            // An If-Range names a version this server cannot match (it sends no validators): the whole object then.
            long size = storage.size(key).orElseThrow(Refusal::notFound);
            switch (ByteRange.of(range.get(), size)) {
                case ByteRange.Part part -> {
                    ByteRange r = part.range();
                    try (StoredObject object = storage.open(key, r.first(), r.length())
                            .orElseThrow(Refusal::notFound)) {
                        headers(response, key, r.length(), true);
                        response.status(Status.PARTIAL_CONTENT_206);
                        response.header(HeaderNames.CONTENT_RANGE, r.contentRange());
                        return body(key, object, response);
                    }
                }
                case ByteRange.Unsatisfiable u -> {
                    response.status(Status.REQUESTED_RANGE_NOT_SATISFIABLE_416);
                    response.header(HeaderNames.CONTENT_RANGE, "bytes */" + u.size());
                    response.header(HeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
                    response.send("range not satisfiable: " + key + " has " + u.size() + " bytes\n");
                    return 0;
                }
                case ByteRange.Whole whole -> { }
            }
        }
        try (StoredObject object = storage.open(key).orElseThrow(Refusal::notFound)) {
            headers(response, key, object.size(), ranges);
            return body(key, object, response);
        }
    }

    /** Streams exactly {@code object.size()} bytes, or fails (and Helidon closes the connection). */
    private static long body(String key, StoredObject object, ServerResponse response) {
        try {
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

    private static void headers(ServerResponse response, String key, long size, boolean ranges) {
        response.status(Status.OK_200);
        response.header(HeaderNames.CONTENT_TYPE, contentType(key));
        if (ranges) {
            response.header(HeaderNames.ACCEPT_RANGES, "bytes");
        }
        response.headers().contentLength(size);
    }

    static String contentType(String key) {
        if (key.equals("nix-cache-info")) {
            return "text/x-nix-cache-info";
        } else if (key.endsWith(".narinfo")) {
            return "text/x-nix-narinfo";
        } else if (key.startsWith(BinaryCache.NAR_PREFIX)) {
            return "application/x-nix-nar";
        } else if (key.endsWith(".json")) {
            return "application/json";
        } else if (key.endsWith(".sig") || key.startsWith("log/")) {
            return "text/plain; charset=utf-8";
        }
        return "application/octet-stream";
    }
}
