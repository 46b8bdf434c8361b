package dev.ferry.deployer;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import org.junit.jupiter.api.Test;

/** Caddy's admin API client where no Caddy is needed. */
class AdminApiCaddyTest {
    @Test
    void anAdminApiWithNothingListeningIsReportedAsRefusedNotNull() throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            port = socket.getLocalPort();
        }
        // The port was free a moment ago and nothing listens on it now: the connection is refused.
        Caddy caddy = Caddy.admin(URI.create("http://127.0.0.1:" + port));

        assertThatThrownBy(() -> caddy.ensureServer("127.0.0.1:1", "ferry-"))
                .isInstanceOf(DeployerException.class)
                .hasMessageStartingWith("Caddy's admin API at http://127.0.0.1:" + port + " is unreachable (GET "
                        + "/config/apps): ")
                .hasMessageNotContaining("null")
                .message().containsIgnoringCase("connection refused");
    }
}
