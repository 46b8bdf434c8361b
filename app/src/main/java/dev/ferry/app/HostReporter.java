package dev.ferry.app;

import dev.ferry.deployer.Deployer;
import dev.ferry.server.HostStatusJson;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;

/**
 * An agent reading a Ferry server over HTTP posts its status after every pass ({@code POST /v1/hosts/{host}}, bearer
 * token from {@code ferry.deployer.report-token-file}). A report that fails is logged and never fails the pass.
 */
public final class HostReporter implements Deployer.PassListener {
    private static final System.Logger LOG = System.getLogger(HostReporter.class.getName());
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    private final Deployer deployer;
    private final URI endpoint;
    private final String token;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();

    private HostReporter(Deployer deployer, URI endpoint, String token) {
        this.deployer = deployer;
        this.endpoint = endpoint;
        this.token = token;
    }

    /** Reports {@code deployer}'s state for {@code host} to the server at {@code server} ({@code http://HOST:PORT/}). */
    public static HostReporter to(URI server, String host, String token, Deployer deployer) {
        return new HostReporter(deployer, server.resolve("/v1/hosts/"
                + URLEncoder.encode(host, StandardCharsets.UTF_8)), token);
    }

    @Override
    public void passed(Optional<Deployer.Report> report, Duration elapsed) {
        send().ifPresent(failure -> LOG.log(System.Logger.Level.WARNING, "deployer: {0}", failure));
    }

    /** Posts the deployer's state now; what went wrong, if anything ({@code ferry deployer --once} prints it). */
    public Optional<String> send() {
        try {
            String body = HostStatusJson.of(deployer.state()).toString();
            HttpResponse<String> response = client.send(HttpRequest.newBuilder(endpoint).timeout(TIMEOUT)
                    .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() / 100 != 2) {
                return Optional.of("reporting to " + endpoint + " answered " + response.statusCode() + ": "
                        + response.body().strip());
            }
            return Optional.empty();
        } catch (IOException | RuntimeException e) {
            return Optional.of("reporting to " + endpoint + " failed: "
                    + dev.ferry.deployer.DeployerException.reason(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.of("reporting to " + endpoint + " was interrupted");
        }
    }
}
