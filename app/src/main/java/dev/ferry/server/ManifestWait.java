package dev.ferry.server;

import io.helidon.http.HeaderValues;
import io.helidon.http.Status;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.time.Duration;

/**
 * {@code GET /v1/manifest/wait?after=N}: answers {@code 200 {"generation": M}} as soon as a generation M > N exists,
 * or {@code 204} after about 25 s, so an agent learns of a new generation within a fraction of a second without
 * polling. Woken by {@link GenerationNotifier} (whose one watcher also finds generations other processes write); it
 * reads the storage only when woken.
 */
final class ManifestWait implements Handler {
    static final Duration HOLD = Duration.ofSeconds(25);

    private final DeployerEndpoints endpoints;

    ManifestWait(DeployerEndpoints endpoints) {
        this.endpoints = endpoints;
    }

    @Override
    public void handle(ServerRequest request, ServerResponse response) {
        long after = after(request.query().first("after").orElse(""));
        long deadline = System.nanoTime() + HOLD.toNanos();
        while (true) {
            long seen = endpoints.notifier().changes();
            long top = endpoints.manifests().top();
            if (top > after) {
                response.header(HeaderValues.CONTENT_TYPE_JSON).send("{\"generation\": " + top + "}\n");
                return;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                response.status(Status.NO_CONTENT_204).send();
                return;
            }
            endpoints.notifier().awaitChange(seen, Duration.ofNanos(left));
        }
    }

    private static long after(String text) {
        try {
            long n = Long.parseLong(text);
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw Refusal.badRequest("after must be a generation number (0 or more): /v1/manifest/wait?after=N");
    }
}
