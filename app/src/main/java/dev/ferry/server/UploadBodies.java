package dev.ferry.server;

import io.helidon.webserver.http.ServerRequest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;

/**
 * Request bodies of uploads, read with a size limit: a declared {@code Content-Length} over the limit is refused
 * before reading (so a client sending {@code Expect: 100-continue} never sends the body), a chunked body when it
 * crosses the limit. A body that breaks off is a 400, not a server error.
 */
final class UploadBodies {
    private static final int BUFFER = 1 << 18;

    private UploadBodies() {
    }

    /** Refuses the request now if it declares a body larger than {@code limit}; returns the declared length or -1. */
    static long declaredLength(ServerRequest request, long limit) {
        var length = request.headers().contentLength();
        if (length.isPresent() && length.getAsLong() > limit) {
            throw Refusal.tooLarge(limit);
        }
        return length.isPresent() ? length.getAsLong() : -1;
    }

    /** Copies the body to {@code out}; returns the number of bytes. */
    static long copy(ServerRequest request, OutputStream out, long limit) throws IOException {
        declaredLength(request, limit);
        InputStream in = request.content().inputStream();
        byte[] buffer = new byte[BUFFER];
        long total = 0;
        while (true) {
            int n;
            try {
                // Helidon hands the body over in socket-sized pieces (about 4 KiB): fill the buffer before writing.
                n = in.readNBytes(buffer, 0, buffer.length);
            } catch (IOException | UncheckedIOException e) {
                throw Refusal.badRequest("the request body ended early");
            }
            if (n == 0) {
                return total;
            }
            total += n;
            if (total > limit) {
                throw Refusal.tooLarge(limit);
            }
            out.write(buffer, 0, n);
        }
    }

    /** Reads a small body whole. */
    static byte[] read(ServerRequest request, int limit) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            copy(request, out, limit);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
        }
        return out.toByteArray();
    }
}
