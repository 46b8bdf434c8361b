package dev.ferry.deployer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@link Caddy} through its admin API with the JDK's HTTP client. Ferry's routes live in the server named
 * {@value #SERVER}; each carries an {@code @id}, so one route is replaced in place without touching the others.
 */
final class AdminApiCaddy implements Caddy {
    static final String SERVER = "ferry";
    private static final String SERVER_PATH = "/config/apps/http/servers/" + SERVER;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    /** The path of a route read back that Ferry would not have written: it differs from any route Ferry wants. */
    private static final String FOREIGN = "(foreign)";
    /**
     * The last route of Ferry's server: 404 for a request no deployment's route takes (a mistyped host, a deployment
     * torn down), where Caddy would answer 200 with an empty body. Its id has a dot, which no unit prefix has, so it is
     * never one of a deployer's routes.
     */
    static final String NOT_FOUND_ID = "ferry.not-found";

    private final URI admin;
    private final HttpClient http;

    private AdminApiCaddy(URI admin) {
        this.admin = admin;
        this.http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
    }

    static Caddy create(URI admin) {
        return new AdminApiCaddy(admin);
    }

    @Override
    public List<Route> ensureServer(String listen, String idPrefix) {
        ObjectNode server = JSON.createObjectNode();
        server.putArray("listen").add(listen);
        server.putArray("routes").add(notFound());
        // Ferry's routes match on host names; certificates are the operator's concern (docs/deployer.md).
        server.putObject("automatic_https").put("disable", true);
        // One GET of the apps tree (Caddy answers 400 for a path below a missing level); create only the missing
        // level: posting a whole config would also replace Caddy's admin settings.
        JsonNode apps = get("/config/apps");
        JsonNode httpApp = apps.path("http");
        JsonNode servers = httpApp.path("servers");
        JsonNode ours = servers.path(SERVER);
        if (absent(apps)) {
            ObjectNode created = JSON.createObjectNode();
            created.putObject("http").putObject("servers").set(SERVER, server);
            send("PUT", "/config/apps", created);
        } else if (absent(httpApp)) {
            ObjectNode created = JSON.createObjectNode();
            created.putObject("servers").set(SERVER, server);
            send("PUT", "/config/apps/http", created);
        } else if (absent(servers)) {
            ObjectNode created = JSON.createObjectNode();
            created.set(SERVER, server);
            send("PUT", "/config/apps/http/servers", created);
        } else if (absent(ours)) {
            send("PUT", SERVER_PATH, server);
        } else if (absent(ours.path("routes"))) {
            send("PUT", SERVER_PATH + "/routes", JSON.createArrayNode().add(notFound()));
        } else {
            List<Route> all = ours(ours.path("routes"), "");
            int notFound = indexOf(all, NOT_FOUND_ID);
            if (notFound < 0 || notFound != all.size() - 1) {
                // Missing (a server an older Ferry made), or not last: routes after it, whoever put them there (an
                // older Ferry, another deployer's prefix, the operator), would never be reached.
                if (notFound >= 0) {
                    delete(NOT_FOUND_ID); // every copy: two deployers upgrading at once may each have added one
                }
                send("POST", SERVER_PATH + "/routes", notFound());
                all = ours(get(SERVER_PATH + "/routes"), "");
            }
            return inOrder(all, idPrefix);
        }
        return List.of(); // the server was just made, with no route
    }

    /**
     * Ferry's routes, after moving any that a route before it would shadow (an older Ferry appended routes in the
     * order they came; a route given another host or path covers one after it). No request when the order is right;
     * a move is a few (see {@link #put}). With hosts that overlap in part, one move can misplace another route, so the
     * bound is the square of their number; paths nest strictly, so it ends well before.
     */
    private List<Route> inOrder(List<Route> all, String idPrefix) {
        for (int moves = 0; moves < all.size() * all.size(); moves++) {
            List<Route> current = all;
            Optional<Route> misplaced = current.stream().filter(r -> r.id().startsWith(idPrefix))
                    .filter(r -> !r.path().equals(FOREIGN))
                    .filter(r -> misplaced(current, r, current.indexOf(r))).findFirst();
            if (misplaced.isEmpty()) {
                break;
            }
            put(misplaced.get());
            all = ours(get(SERVER_PATH + "/routes"), "");
        }
        return all.stream().filter(r -> r.id().startsWith(idPrefix)).toList();
    }

    private static boolean absent(JsonNode node) {
        return node.isMissingNode() || node.isNull();
    }

    @Override
    public List<Route> routes(String idPrefix) {
        return ours(get(SERVER_PATH + "/routes"), idPrefix);
    }

    private static List<Route> ours(JsonNode routes, String idPrefix) {
        List<Route> found = new ArrayList<>();
        for (JsonNode node : routes) {
            String id = node.path("@id").asText("");
            if (id.startsWith(idPrefix)) {
                found.add(parse(id, node));
            }
        }
        return found;
    }

    /**
     * Caddy tries a server's routes in order and the first match wins, so a route goes before the first route that
     * would take its requests (same host, a shorter path prefix: {@code /} before {@code /api} would leave the API
     * unreachable), or last. A route already in a right place is replaced in place; one in a wrong place (its path
     * changed, or an older Ferry appended it) is taken out and inserted again.
     */
    @Override
    public void put(Route route) {
        List<Route> all = ours(get(SERVER_PATH + "/routes"), "");
        List<Integer> copies = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) {
            if (all.get(i).id().equals(route.id())) {
                copies.add(i);
            }
        }
        int before = firstShadowing(all, route);
        if (copies.size() == 1 && !misplaced(all, route, copies.getFirst())
                && all.get(copies.getFirst()).path().equals(route.path())) {
            send("PATCH", "/id/" + route.id(), render(route));
            return;
        }
        if (!copies.isEmpty()) {
            delete(route.id());
            all = ours(get(SERVER_PATH + "/routes"), "");
            before = firstShadowing(all, route);
        }
        int notFound = indexOf(all, NOT_FOUND_ID);
        if (notFound >= 0 && (before < 0 || before > notFound)) {
            before = notFound; // never behind the 404 route, whatever an older Ferry left after it
        }
        if (before < 0) {
            send("POST", SERVER_PATH + "/routes", render(route));
        } else {
            send("PUT", SERVER_PATH + "/routes/" + before, render(route));
        }
    }

    /** Whether {@code route}, at index {@code at}, is behind a route that would take its requests or the 404 route. */
    private static boolean misplaced(List<Route> all, Route route, int at) {
        int before = firstShadowing(all, route);
        int notFound = indexOf(all, NOT_FOUND_ID);
        return before >= 0 && before < at || notFound >= 0 && notFound < at;
    }

    private static int indexOf(List<Route> routes, String id) {
        for (int i = 0; i < routes.size(); i++) {
            if (routes.get(i).id().equals(id)) {
                return i;
            }
        }
        return -1;
    }

    /** The 404 route (see {@link #NOT_FOUND_ID}): no matcher, so it takes whatever reaches it. */
    static ObjectNode notFound() {
        ObjectNode node = JSON.createObjectNode();
        node.put("@id", NOT_FOUND_ID);
        node.putArray("handle").addObject().put("handler", "static_response").put("status_code", 404)
                .put("body", "no deployment here\n");
        node.put("terminal", true);
        return node;
    }

    /** The index of the first route, other than {@code route}'s own, that would match its requests first; or -1. */
    static int firstShadowing(List<Route> routes, Route route) {
        for (int i = 0; i < routes.size(); i++) {
            Route other = routes.get(i);
            boolean sameHost = other.hosts().isEmpty() || other.hosts().stream().anyMatch(route.hosts()::contains);
            if (!other.id().equals(route.id()) && sameHost && contains(other.path(), route.path())
                    && !other.path().equalsIgnoreCase(route.path())) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Whether the path prefix {@code outer} matches every request {@code inner} does ({@code /a} holds {@code /a/b}).
     * Caddy's path matcher ignores case, so this does too.
     */
    private static boolean contains(String outer, String inner) {
        String o = outer.toLowerCase(java.util.Locale.ROOT);
        String i = inner.toLowerCase(java.util.Locale.ROOT);
        return o.equals("/") || i.equals(o) || i.startsWith(o + "/");
    }

    @Override
    public void delete(String id) {
        // Caddy 2.6 accepts duplicate ids; DELETE /id/<id> removes one, so repeat until none is left.
        for (int i = 0; i < 100 && routes(id).stream().anyMatch(r -> r.id().equals(id)); i++) {
            send("DELETE", "/id/" + id, null);
        }
    }

    static ObjectNode render(Route route) {
        ObjectNode node = JSON.createObjectNode();
        node.put("@id", route.id());
        ObjectNode match = node.putArray("match").addObject();
        ArrayNode hosts = match.putArray("host");
        route.hosts().forEach(hosts::add);
        String prefix = trimSlash(route.path());
        if (!prefix.isEmpty()) {
            match.putArray("path").add(prefix).add(prefix + "/*");
        }
        ArrayNode handle = node.putArray("handle");
        if (route.upstream().isPresent()) {
            handle.addObject().put("handler", "reverse_proxy").putArray("upstreams").addObject()
                    .put("dial", route.upstream().get());
        } else {
            String root = route.root().orElseThrow();
            if (!prefix.isEmpty()) {
                handle.addObject().put("handler", "rewrite").put("strip_path_prefix", prefix);
            }
            if (route.spa()) {
                ObjectNode fallback = handle.addObject().put("handler", "subroute").putArray("routes").addObject();
                ObjectNode file = fallback.putArray("match").addObject().putObject("file");
                file.put("root", root);
                file.putArray("try_files").add("{http.request.uri.path}").add("/index.html");
                fallback.putArray("handle").addObject().put("handler", "rewrite")
                        .put("uri", "{http.matchers.file.relative}");
            }
            handle.addObject().put("handler", "file_server").put("root", root);
        }
        node.put("terminal", true);
        return node;
    }

    /** Reads a route back; anything Ferry would not have written reads as a route that differs. */
    static Route parse(String id, JsonNode node) {
        List<String> hosts = new ArrayList<>();
        node.path("match").path(0).path("host").forEach(h -> hosts.add(h.asText()));
        String path = node.path("match").path(0).path("path").path(0).asText("/");
        Optional<String> upstream = Optional.empty();
        Optional<String> root = Optional.empty();
        boolean spa = false;
        for (JsonNode handler : node.path("handle")) {
            switch (handler.path("handler").asText()) {
                case "reverse_proxy" -> upstream = Optional.of(handler.path("upstreams").path(0).path("dial").asText());
                case "file_server" -> root = Optional.of(handler.path("root").asText());
                case "subroute" -> spa = true;
                default -> { }
            }
        }
        Route parsed = new Route(id, hosts, path.isEmpty() ? "/" : path, upstream, root, spa);
        // Compare by rendering: a route Ferry wrote renders back to exactly the JSON Caddy holds. One that neither
        // proxies nor serves files (the 404 route, or someone else's) is not Ferry's kind at all.
        return (upstream.isPresent() || root.isPresent()) && render(parsed).equals(node) ? parsed
                : new Route(id, hosts, FOREIGN, upstream, root, spa);
    }

    private static String trimSlash(String path) {
        String p = path.strip();
        while (p.endsWith("/")) {
            p = p.substring(0, p.length() - 1);
        }
        return p;
    }

    private JsonNode get(String path) {
        String body = send("GET", path, null);
        try {
            return body.isBlank() ? JSON.nullNode() : JSON.readTree(body);
        } catch (IOException e) {
            throw new DeployerException("Caddy's admin API answered GET " + path + " with something not JSON", e);
        }
    }

    private String send(String method, String path, JsonNode body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(admin.resolve(path)).timeout(TIMEOUT)
                .header("Content-Type", "application/json");
        request.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(body.toString()));
        try {
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() / 100 != 2) {
                throw new DeployerException("Caddy's admin API answered " + method + " " + path + " with "
                        + response.statusCode() + ": " + response.body().strip());
            }
            return response.body();
        } catch (IOException e) {
            throw new DeployerException("Caddy's admin API at " + admin + " is unreachable (" + method + " " + path
                    + "): " + DeployerException.reason(e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DeployerException("interrupted while talking to Caddy", e);
        }
    }
}
