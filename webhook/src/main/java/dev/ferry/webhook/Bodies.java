package dev.ferry.webhook;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/** Reads a webhook body whole, refusing it as soon as it passes the limit (so an oversize body is never buffered). */
public final class Bodies {
    private Bodies() {
    }

    public static byte[] read(InputStream in, long limit) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        long total = 0;
        try {
            for (int n; (n = in.read(buffer)) > 0; ) {
                total += n;
                if (total > limit) {
                    throw new WebhookException(WebhookException.Kind.TOO_LARGE,
                            "the body is larger than " + limit + " bytes (ferry.webhook.max-body-size)");
                }
                out.write(buffer, 0, n);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("reading the webhook body", e);
        }
        return out.toByteArray();
    }
}
