package dev.ferry.deployer;

import java.net.URI;
import java.util.List;
import java.util.Optional;

/** The Caddy seam: Ferry's routes in one server of Caddy's config, changed through the admin API. */
public interface Caddy {
    /**
     * Creates Caddy's http app and Ferry's server listening on {@code listen} where they are missing, and returns
     * Ferry's routes then, as {@link #routes} would: the reconcile pass reads Caddy's config once.
     */
    List<Route> ensureServer(String listen, String idPrefix);

    /** Ferry's routes ({@code @id} starting with {@code idPrefix}) in Caddy's config, in order. */
    List<Route> routes(String idPrefix);

    /**
     * Adds the route before the first route that would take its requests (or last), or replaces the route with its
     * id: in place ({@code PATCH /id/<id>}) when it stays in a right place, else taken out and inserted again.
     */
    void put(Route route);

    /** Removes every route with this id (so a duplicate cannot survive). */
    void delete(String id);

    /**
     * One route: requests for {@code hosts} under {@code path} (a prefix; {@code /} for all) go to {@code upstream}
     * ({@code host:port}) or are served from the directory {@code root}, with {@code index.html} as fallback when
     * {@code spa}.
     */
    record Route(String id, List<String> hosts, String path, Optional<String> upstream, Optional<String> root,
                 boolean spa) {
        public Route {
            hosts = List.copyOf(hosts);
            String p = path.strip();
            while (p.endsWith("/")) {
                p = p.substring(0, p.length() - 1);
            }
            path = p.isEmpty() ? "/" : p;
        }

        public static Route proxy(String id, List<String> hosts, String path, String upstream) {
            return new Route(id, hosts, path, Optional.of(upstream), Optional.empty(), false);
        }

        public static Route files(String id, List<String> hosts, String path, String root, boolean spa) {
            return new Route(id, hosts, path, Optional.empty(), Optional.of(root), spa);
        }
    }

    /** Caddy's admin API at {@code adminUrl} (for example {@code http://127.0.0.1:2019}). */
    static Caddy admin(URI adminUrl) {
        return AdminApiCaddy.create(adminUrl);
    }
}
