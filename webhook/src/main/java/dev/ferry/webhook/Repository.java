package dev.ferry.webhook;

import java.net.URI;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * The repository a webhook is about, as the forge names it.
 *
 * @param fullName {@code owner/name}
 * @param cloneUrl the HTTP(S) clone URL
 * @param htmlUrl  the web page
 * @param sshUrl   the SSH clone URL, when the forge sends one
 */
public record Repository(String fullName, String cloneUrl, String htmlUrl, Optional<String> sshUrl) {
    public Repository {
        Objects.requireNonNull(fullName, "fullName");
        Objects.requireNonNull(cloneUrl, "cloneUrl");
        Objects.requireNonNull(htmlUrl, "htmlUrl");
        Objects.requireNonNull(sshUrl, "sshUrl");
    }

    /** How a project's clone URL names this repository; later constants are stronger. */
    public enum Match {
        /** The URL ends in {@code /<full name>} (or {@code :<full name>}): a mirror, another host name. */
        FULL_NAME,
        /** The URL is the repository's clone, web or SSH URL, once normalised. */
        EXACT
    }

    /**
     * How {@code projectCloneUrl} (what Ferry fetches) names this repository, if it does: {@link Match#EXACT} when it
     * is its clone, web or SSH URL by {@link #sameRepository} (the one rule, so config and API refuse exactly the
     * pairs a delivery could not choose between), {@link Match#FULL_NAME} when, for a URL Ferry reaches differently (a local mirror,
     * another host name), it ends in {@code /<full name>}.
     */
    public Optional<Match> match(String projectCloneUrl) {
        if (sameRepository(projectCloneUrl, cloneUrl) || sameRepository(projectCloneUrl, htmlUrl)
                || sshUrl.map(u -> sameRepository(projectCloneUrl, u)).orElse(false)) {
            return Optional.of(Match.EXACT);
        }
        String project = normalise(projectCloneUrl);
        String name = fullName.toLowerCase(Locale.ROOT);
        String lower = project.toLowerCase(Locale.ROOT);
        return lower.endsWith("/" + name) || lower.endsWith(":" + name) ? Optional.of(Match.FULL_NAME)
                : Optional.empty();
    }

    /**
     * Whether two clone URLs name the same repository: the same host and path once normalised as {@link #match}
     * does, whatever the scheme or port ({@code https://host/o/r}, {@code ssh://git@host/o/r} and the scp-like
     * {@code git@host:o/r} are one repository, as a delivery's clone and SSH URLs are). Two projects with such URLs
     * would both claim its webhooks.
     */
    public static boolean sameRepository(String oneCloneUrl, String otherCloneUrl) {
        return location(oneCloneUrl).equals(location(otherCloneUrl));
    }

    /**
     * {@code host/path} of a URL or scp-like address, lower case (forges name {@code Alice/Shop} and
     * {@code alice/shop} as one repository); a local path ({@code file://} or none) as {@link #normalise} leaves it.
     */
    private static String location(String url) {
        String u = normalise(url);
        int scheme = u.indexOf("://");
        if (scheme >= 0) {
            String rest = u.substring(scheme + 3);
            int slash = rest.indexOf('/');
            String host = slash < 0 ? rest : rest.substring(0, slash);
            if (host.isEmpty()) {
                return u; // file:///srv/git/shop: a local path, whose case matters
            }
            int port = host.lastIndexOf(':');
            return ((port < 0 ? host : host.substring(0, port)) + (slash < 0 ? "" : rest.substring(slash)))
                    .toLowerCase(Locale.ROOT);
        }
        int colon = u.indexOf(':');
        if (colon > 0 && !u.substring(0, colon).contains("/")) { // user@host:owner/repo
            String host = u.substring(0, colon);
            host = host.substring(host.indexOf('@') + 1);
            String path = u.substring(colon + 1);
            return (host + (path.startsWith("/") ? path : "/" + path)).toLowerCase(Locale.ROOT);
        }
        return u;
    }

    static String normalise(String url) {
        String u = url.strip();
        while (u.endsWith("/")) {
            u = u.substring(0, u.length() - 1);
        }
        if (u.endsWith(".git")) {
            u = u.substring(0, u.length() - 4);
        }
        try {
            URI uri = URI.create(u);
            if (uri.getScheme() != null && uri.getHost() != null) {
                String port = uri.getPort() < 0 ? "" : ":" + uri.getPort();
                return uri.getScheme().toLowerCase(Locale.ROOT) + "://" + uri.getHost().toLowerCase(Locale.ROOT)
                        + port + Optional.ofNullable(uri.getRawPath()).orElse("");
            }
        } catch (IllegalArgumentException e) {
            // scp-like (git@host:owner/repo) or a path: compared as written
        }
        return u;
    }
}
