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

    /**
     * Whether {@code projectCloneUrl} (what Ferry fetches) is this repository: equal to its clone, web or SSH URL
     * once normalised (scheme and host lower case, no user info, no trailing {@code /} or {@code .git}), or, for a
     * URL Ferry reaches differently (a local mirror, another host name), ending in {@code /<full name>}.
     */
    public boolean matches(String projectCloneUrl) {
        String project = normalise(projectCloneUrl);
        if (project.equals(normalise(cloneUrl)) || project.equals(normalise(htmlUrl))
                || sshUrl.map(u -> project.equals(normalise(u))).orElse(false)) {
            return true;
        }
        String suffix = "/" + fullName.toLowerCase(Locale.ROOT);
        return project.toLowerCase(Locale.ROOT).endsWith(suffix) || project.toLowerCase(Locale.ROOT).endsWith(":"
                + fullName.toLowerCase(Locale.ROOT));
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
