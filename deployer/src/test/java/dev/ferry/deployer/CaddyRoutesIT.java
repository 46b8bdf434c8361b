package dev.ferry.deployer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.testkit.RequiresPrograms;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Route order in a real Caddy: the first matching route wins, so a nested path prefix must come first. */
@RequiresPrograms({"caddy", "systemctl"})
class CaddyRoutesIT {
    private static final String HOST = "shop.test";

    @TempDir
    Path dir;

    @Test
    void aNestedPathPrefixGoesBeforeTheRouteThatHoldsIt() throws Exception {
        try (Harness h = new Harness(dir)) {
            Caddy caddy = Caddy.admin(URI.create("http://127.0.0.1:" + h.adminPort));
            caddy.ensureServer("127.0.0.1:" + h.listenPort, h.prefix);
            String front = h.prefix + "front";
            String api = h.prefix + "api";
            String v1 = h.prefix + "v1";

            // The front at /, then the API at /api: appended, / would answer the API's requests.
            caddy.put(Caddy.Route.files(front, List.of(HOST), "/", site("front"), false));
            caddy.put(Caddy.Route.files(api, List.of(HOST), "/api", site("api"), false));
            caddy.put(Caddy.Route.files(v1, List.of(HOST), "/api/v1", site("v1"), false));
            assertThat(ids(caddy, h)).containsExactly(v1, api, front);
            assertThat(h.get(HOST, "/who.txt").body()).isEqualTo("front");
            assertThat(h.get(HOST, "/api/who.txt").body()).isEqualTo("api");
            assertThat(h.get(HOST, "/api/v1/who.txt").body()).isEqualTo("v1");
            assertThat(h.get(HOST, "/apix/who.txt").body()).isEqualTo("front-apix"); // /api holds /api/..., not /apix

            // Replaced with the same path: in place. With a path that / holds no more: moved after /.
            caddy.put(Caddy.Route.files(api, List.of(HOST), "/api", site("api-2"), false));
            assertThat(ids(caddy, h)).containsExactly(v1, api, front);
            assertThat(h.get(HOST, "/api/who.txt").body()).isEqualTo("api-2");
            caddy.put(Caddy.Route.files(v1, List.of(HOST), "/", site("v1-at-root"), false));
            assertThat(ids(caddy, h)).as("the two at / keep the order they came in").containsExactly(api, front, v1);

            // Routes an older Ferry appended in the wrong order are put right by the next pass's ensureServer.
            caddy.delete(v1);
            caddy.delete(api);
            HttpClient client = HttpClient.newHttpClient();
            client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + h.adminPort
                            + "/config/apps/http/servers/ferry/routes")).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(AdminApiCaddy.render(Caddy.Route.files(api,
                            List.of(HOST), "/api", site("api-3"), false)).toString())).build(),
                    HttpResponse.BodyHandlers.discarding());
            assertThat(ids(caddy, h)).containsExactly(front, api);
            assertThat(h.get(HOST, "/api/who.txt").body()).isEqualTo("front-has-no-api");
            assertThat(caddy.ensureServer("127.0.0.1:" + h.listenPort, h.prefix))
                    .extracting(Caddy.Route::id).containsExactly(api, front);
            assertThat(h.get(HOST, "/api/who.txt").body()).isEqualTo("api-3");

            // Case does not matter to Caddy's path matcher, so not to the order either.
            String v2 = h.prefix + "v2";
            caddy.put(Caddy.Route.files(v2, List.of(HOST), "/Api/v2", site("v2"), false));
            assertThat(ids(caddy, h)).containsExactly(v2, api, front);
            assertThat(h.get(HOST, "/api/v2/who.txt").body()).isEqualTo("v2");

            // A route that gains an alias can cover a route after it: the next ensureServer (the deployer calls it
            // again at the end of a pass that changed anything) moves the covered one.
            String other = h.prefix + "other";
            String otherApi = h.prefix + "other-api";
            caddy.put(Caddy.Route.files(other, List.of("b.test"), "/", site("other"), false));
            caddy.put(Caddy.Route.files(otherApi, List.of("b.test"), "/api", site("other-api"), false));
            assertThat(ids(caddy, h)).containsExactly(v2, api, front, otherApi, other);
            caddy.put(Caddy.Route.files(front, List.of(HOST, "b.test"), "/", site("front"), false));
            assertThat(caddy.ensureServer("127.0.0.1:" + h.listenPort, h.prefix)).extracting(Caddy.Route::id)
                    .containsExactly(v2, api, otherApi, front, other);
            assertThat(h.get("b.test", "/api/who.txt").body()).isEqualTo("other-api");
            assertThat(h.get("b.test", "/who.txt").body()).isEqualTo("front");
        }
    }

    /** A request no route takes gets 404, where Caddy alone answers 200 with nothing: a typo, a torn-down branch. */
    @Test
    void aRequestNoDeploymentTakesIsNotFound() throws Exception {
        try (Harness h = new Harness(dir)) {
            Caddy caddy = Caddy.admin(URI.create("http://127.0.0.1:" + h.adminPort));
            String listen = "127.0.0.1:" + h.listenPort;
            caddy.ensureServer(listen, h.prefix);
            assertThat(h.get("nobody.test", "/").status()).isEqualTo(404);
            assertThat(h.get("nobody.test", "/").body()).isEqualTo("no deployment here\n");

            String front = h.prefix + "front";
            caddy.put(Caddy.Route.files(front, List.of(HOST), "/", site("front"), false));
            assertThat(h.get(HOST, "/who.txt").body()).isEqualTo("front");
            assertThat(h.get("nobody.test", "/who.txt").status()).isEqualTo(404);
            caddy.delete(front); // torn down
            assertThat(h.get(HOST, "/who.txt").status()).isEqualTo(404);

            // A server an older Ferry made has no 404 route, and may have a route appended after where it goes.
            HttpClient client = HttpClient.newHttpClient();
            URI routes = URI.create("http://127.0.0.1:" + h.adminPort + "/config/apps/http/servers/ferry/routes");
            client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + h.adminPort + "/id/"
                    + AdminApiCaddy.NOT_FOUND_ID)).DELETE().build(), HttpResponse.BodyHandlers.discarding());
            assertThat(h.get("nobody.test", "/").status()).as("Caddy on its own").isEqualTo(200);
            assertThat(caddy.ensureServer(listen, h.prefix)).isEmpty();
            assertThat(h.get("nobody.test", "/").status()).isEqualTo(404);
            client.send(HttpRequest.newBuilder(routes).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(AdminApiCaddy.render(Caddy.Route.files(front,
                            List.of(HOST), "/", site("front-2"), false)).toString())).build(),
                    HttpResponse.BodyHandlers.discarding());
            assertThat(h.get(HOST, "/who.txt").status()).as("behind the 404 route").isEqualTo(404);
            assertThat(caddy.ensureServer(listen, h.prefix)).extracting(Caddy.Route::id).containsExactly(front);
            assertThat(h.get(HOST, "/who.txt").body()).isEqualTo("front-2");
            assertThat(h.get("nobody.test", "/").status()).isEqualTo(404);

            // An older Ferry appends the front, then puts its API before the front: both behind the 404 route. A
            // route put now goes before the 404 route, whatever holds it after that.
            String api = h.prefix + "api";
            caddy.delete(front);
            client.send(HttpRequest.newBuilder(routes).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(AdminApiCaddy.render(Caddy.Route.files(front,
                            List.of(HOST), "/", site("front-3"), false)).toString())).build(),
                    HttpResponse.BodyHandlers.discarding());
            caddy.put(Caddy.Route.files(api, List.of(HOST), "/api", site("api"), false));
            assertThat(h.get(HOST, "/api/who.txt").body()).isEqualTo("api");
            // Routes of another deployer's prefix (or the operator's) left after it: the 404 route goes last again.
            String theirs = "ferry-theirs-web";
            client.send(HttpRequest.newBuilder(routes).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(AdminApiCaddy.render(Caddy.Route.files(theirs,
                            List.of("theirs.test"), "/", site("theirs"), false)).toString())).build(),
                    HttpResponse.BodyHandlers.discarding());
            assertThat(h.get("theirs.test", "/who.txt").status()).isEqualTo(404);
            assertThat(caddy.ensureServer(listen, h.prefix)).extracting(Caddy.Route::id).containsExactly(api, front);
            assertThat(h.get("theirs.test", "/who.txt").body()).isEqualTo("theirs");
            assertThat(h.get(HOST, "/who.txt").body()).isEqualTo("front-3");
            assertThat(h.get(HOST, "/api/who.txt").body()).isEqualTo("api");
            assertThat(h.get("nobody.test", "/").status()).isEqualTo(404);
        }
    }

    private static List<String> ids(Caddy caddy, Harness h) {
        return caddy.routes(h.prefix).stream().map(Caddy.Route::id).toList();
    }

    /** A directory whose who.txt names it, with api/ and apix/ beside it whose who.txt say whose they are. */
    private String site(String name) throws Exception {
        Path root = Files.createDirectories(dir.resolve("sites").resolve(name));
        Files.writeString(root.resolve("who.txt"), name);
        Files.createDirectories(root.resolve("api"));
        Files.writeString(root.resolve("api/who.txt"), name + "-has-no-api");
        Files.createDirectories(root.resolve("apix"));
        Files.writeString(root.resolve("apix/who.txt"), name + "-apix");
        return root.toString();
    }
}
