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
     * Whether {@code projectCloneUrl} (what Ferry fetches) is this repository: equal to its clone, web or SSH URL
     * once normalised (scheme and host lower case, no user info, no trailing {@code /} or {@code .git}), or, for a
     * URL Ferry reaches differently (a local mirror, another host name), ending in {@code /<full name>}.
     */
    public boolean matches(String projectCloneUrl) {
        return match(projectCloneUrl).isPresent();
    }

    /** As {@link #matches}, saying how: an exact URL is a stronger claim than the full name at the end. */
    public Optional<Match> match(String projectCloneUrl) {
        String project = normalise(projectCloneUrl);
        if (project.equals(normalise(cloneUrl)) || project.equals(normalise(htmlUrl))
                || sshUrl.map(u -> project.equals(normalise(u))).orElse(false)) {
            return Optional.of(Match.EXACT);
        }
        String name = fullName.toLowerCase(Locale.ROOT);
        String lower = project.toLowerCase(Locale.ROOT);
        return lower.endsWith("/" + name) || lower.endsWith(":" + name) ? Optional.of(Match.FULL_NAME)
                : Optional.empty();
    }

    /**
     * Whether two clone URLs name the same repository once normalised as {@link #matches} does (scheme and host case,
     * user info, trailing {@code /} or {@code .git} aside): two projects with such URLs would both claim its webhooks.
     */
    public static boolean sameRepository(String oneCloneUrl, String otherCloneUrl) {
        return normalise(oneCloneUrl).equals(normalise(otherCloneUrl));
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
