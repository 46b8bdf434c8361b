package dev.ferry.deployer;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An agent's ear on a Ferry server: holds {@code GET /v1/manifest/wait?after=N} open and wakes the deployer the
 * moment a newer generation exists, so a push reaches the host in well under a second instead of a poll interval.
 */
public final class LongPoll {
    private static final Pattern GENERATION = Pattern.compile("\"generation\"\\s*:\\s*(\\d+)");
    private static final System.Logger LOG = System.getLogger(LongPoll.class.getName());
    private static final int MAX_BODY = 64 * 1024;

    private LongPoll() {
    }

    /** Runs until the thread is interrupted; connection failures are retried every second. */
    public static void follow(URI server, Deployer deployer) {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        long after = deployer.state().lastApplied();
        while (!Thread.currentThread().isInterrupted()) {
            try {
                HttpResponse<java.io.InputStream> response = http.send(HttpRequest.newBuilder(
                                server.resolve("/v1/manifest/wait?after=" + after)).timeout(Duration.ofSeconds(40))
                        .build(), HttpResponse.BodyHandlers.ofInputStream());
                String body;
                try (java.io.InputStream in = response.body()) {
                    // The answer is a few bytes of JSON; whatever answers in its place is not read to its end.
                    body = new String(in.readNBytes(MAX_BODY), java.nio.charset.StandardCharsets.UTF_8);
                }
                Matcher m = GENERATION.matcher(body);
                if (response.statusCode() == 200 && m.find()) {
                    after = Long.parseLong(m.group(1));
                    deployer.wake();
                } else if (response.statusCode() != 204) {
                    LOG.log(System.Logger.Level.WARNING, "deployer: {0} answered {1} to the long poll", server,
                            response.statusCode());
                    Thread.sleep(1000);
                }
            } catch (InterruptedException e) {
                return;
            } catch (java.io.IOException e) {
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException x) {
                    return;
                }
            }
        }
    }
}
