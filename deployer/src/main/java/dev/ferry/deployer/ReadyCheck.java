package dev.ferry.deployer;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * Whether a started service answers: an HTTP check, retried with backoff until a bounded deadline or until the
 * service's program is gone.
 */
public interface ReadyCheck {
    /**
     * True once {@code GET http://127.0.0.1:<port><path>} answers 2xx; false if it has not within {@code timeout}, or
     * as soon as {@code stillRunning} (asked after each attempt that did not answer 2xx) says the program is gone.
     */
    boolean await(int port, String path, Duration timeout, BooleanSupplier stillRunning);

    static ReadyCheck http() {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        return (port, path, timeout, stillRunning) -> {
            long deadline = System.nanoTime() + timeout.toNanos();
            long pause = 10;
            URI uri = URI.create("http://127.0.0.1:" + port + path);
            while (true) {
                try {
                    HttpResponse<Void> response = client.send(HttpRequest.newBuilder(uri)
                            .timeout(Duration.ofSeconds(2)).GET().build(), HttpResponse.BodyHandlers.discarding());
                    if (response.statusCode() / 100 == 2) {
                        return true;
                    }
                } catch (IOException e) {
                    // Not listening yet: try again.
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
                if (!stillRunning.getAsBoolean() || System.nanoTime() + pause * 1_000_000 - deadline > 0) {
                    return false;
                }
                try {
                    Thread.sleep(pause);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
                pause = Math.min(pause * 2, 250);
            }
        };
    }
}
