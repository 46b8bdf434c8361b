package dev.ferry.server;

import dev.ferry.builder.Project;
import dev.ferry.builder.ProjectStore;
import io.helidon.config.Config;
import java.net.URI;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * The settings of builds, webhooks and the JSON API (see {@code docs/configuration.md}, "Builds, webhooks and the
 * API"). Like {@link ServerConfig}, loading only checks values; the files named are read when the server starts.
 *
 * @param projects            {@code ferry.projects}: the projects configured in the file
 * @param webhookSecretFile   {@code ferry.webhook.secret-file}: the secret shared by projects without their own
 * @param maxWebhookBodySize  {@code ferry.webhook.max-body-size}
 * @param adminTokenFile      {@code ferry.admin-token-file}: the bearer token of the API
 * @param publicRead          {@code ferry.api.public-read}: whether API reads need no token
 * @param maxConcurrentBuilds {@code ferry.builder.max-concurrent-builds}
 * @param forkPullRequests    {@code ferry.webhook.fork-pull-requests}: whether pull requests from other repositories
 *                            (forks) are built and deployed
 */
public record BuilderSettings(List<ConfiguredProject> projects, Optional<Path> webhookSecretFile,
                              long maxWebhookBodySize, Optional<Path> adminTokenFile, boolean publicRead,
                              int maxConcurrentBuilds, boolean forkPullRequests) {

    public static final String PROJECTS = "ferry.projects";
    public static final String WEBHOOK_SECRET_FILE = "ferry.webhook.secret-file";
    public static final String WEBHOOK_MAX_BODY_SIZE = "ferry.webhook.max-body-size";
    public static final String ADMIN_TOKEN_FILE = "ferry.admin-token-file";
    public static final String PUBLIC_READ = "ferry.api.public-read";
    public static final String MAX_CONCURRENT_BUILDS = "ferry.builder.max-concurrent-builds";
    public static final String FORK_PULL_REQUESTS = "ferry.webhook.fork-pull-requests";
    /** The forms of clone URL accepted, for messages. */
    static final String CLONE_URL_FORMS = "(https://, http://, ssh://, git://, file:// or user@host:path)";

    /** The single-valued keys, also settable as plain environment variables ({@code FERRY_ADMIN_TOKEN_FILE}). */
    public static final List<String> KEYS = List.of(WEBHOOK_SECRET_FILE, WEBHOOK_MAX_BODY_SIZE, ADMIN_TOKEN_FILE,
            PUBLIC_READ, MAX_CONCURRENT_BUILDS, FORK_PULL_REQUESTS);

    static final long DEFAULT_MAX_WEBHOOK_BODY_SIZE = 1L << 20;
    static final int DEFAULT_MAX_CONCURRENT_BUILDS = 2;
    private static final Set<String> PROJECT_KEYS = Set.of("name", "clone-url", "production-branch",
            "webhook-secret-file");

    /** A project of {@code ferry.projects}, with its own webhook secret file if it has one. */
    public record ConfiguredProject(Project project, Optional<Path> webhookSecretFile) {
    }

    public BuilderSettings {
        projects = List.copyOf(projects);
    }

    public static BuilderSettings from(Config config, ServerConfig.Environment environment) {
        List<ConfiguredProject> projects = projects(config.get(PROJECTS), environment);
        Optional<Path> secretFile = path(config, WEBHOOK_SECRET_FILE, environment);
        long maxBody = string(config, WEBHOOK_MAX_BODY_SIZE).map(text -> size(WEBHOOK_MAX_BODY_SIZE, text))
                .orElse(DEFAULT_MAX_WEBHOOK_BODY_SIZE);
        Optional<Path> adminTokenFile = path(config, ADMIN_TOKEN_FILE, environment);
        boolean publicRead = bool(config, PUBLIC_READ);
        boolean forkPullRequests = bool(config, FORK_PULL_REQUESTS);
        int maxBuilds = string(config, MAX_CONCURRENT_BUILDS).map(text -> {
            try {
                int n = Integer.parseInt(text);
                if (n >= 1 && n <= 64) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw new InvalidConfigException(MAX_CONCURRENT_BUILDS, "'" + text + "' is not a number from 1 to 64");
        }).orElse(DEFAULT_MAX_CONCURRENT_BUILDS);
        return new BuilderSettings(projects, secretFile, maxBody, adminTokenFile, publicRead, maxBuilds,
                forkPullRequests);
    }

    /** As every boolean setting ({@link DeployerConfig#bool}); {@code false} when absent. */
    private static boolean bool(Config config, String key) {
        return string(config, key).map(text -> DeployerConfig.bool(key, text)).orElse(false);
    }

    private static List<ConfiguredProject> projects(Config node, ServerConfig.Environment environment) {
        if (!node.exists()) {
            return List.of();
        }
        List<Config> items = node.asNodeList().orElseThrow(() -> new InvalidConfigException(PROJECTS,
                "expected a list of projects"));
        List<ConfiguredProject> projects = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (int i = 0; i < items.size(); i++) {
            Config item = items.get(i);
            String where = PROJECTS + "[" + i + "]";
            if (item.isLeaf()) {
                throw new InvalidConfigException(where, "expected name, clone-url and production-branch");
            }
            for (Config child : item.asNodeList().orElse(List.of())) {
                if (!PROJECT_KEYS.contains(child.name())) {
                    throw new InvalidConfigException(where + "." + child.name(), "unknown setting (known: "
                            + String.join(", ", PROJECT_KEYS.stream().sorted().toList()) + ")");
                }
            }
            String name = string(item, "name").orElseThrow(() -> new InvalidConfigException(where + ".name",
                    "is missing"));
            if (!ProjectStore.NAME.matcher(name).matches()) {
                throw new InvalidConfigException(where + ".name", "'" + name + "' must be lower-case letters, digits "
                        + "and '-', starting with a letter or digit, at most 40 characters");
            }
            if (!names.add(name)) {
                throw new InvalidConfigException(where + ".name", "'" + name + "' is configured twice");
            }
            String cloneUrl = string(item, "clone-url").orElseThrow(() -> new InvalidConfigException(
                    where + ".clone-url", "is missing"));
            checkCloneUrl(where + ".clone-url", cloneUrl);
            String branch = string(item, "production-branch").orElse("main");
            if (!dev.ferry.webhook.BranchNames.valid(branch)) {
                throw new InvalidConfigException(where + ".production-branch", "'"
                        + dev.ferry.webhook.Events.escaped(branch) + "' is not a valid branch name (as git allows)");
            }
            projects.add(new ConfiguredProject(new Project(name, cloneUrl, branch),
                    path(item, "webhook-secret-file", environment)));
        }
        return projects;
    }

    /** A URL JGit can fetch: http(s), ssh, git or file, or scp-like {@code user@host:path}. */
    static void checkCloneUrl(String key, String url) {
        if (url.matches("[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:.+")) {
            return;
        }
        try {
            URI uri = new URI(url);
            String scheme = Optional.ofNullable(uri.getScheme()).orElse("").toLowerCase(Locale.ROOT);
            if (Set.of("http", "https", "ssh", "git", "file").contains(scheme) && uri.getPath() != null
                    && !uri.getPath().isEmpty()) {
                return;
            }
        } catch (java.net.URISyntaxException e) {
            // reported below
        }
        throw new InvalidConfigException(key, "'" + url + "' is not a clone URL " + CLONE_URL_FORMS);
    }

    private static Optional<String> string(Config config, String key) {
        Config node = config.get(key);
        if (!node.exists()) {
            return Optional.empty();
        }
        if (!node.isLeaf()) {
            throw new InvalidConfigException(node.key().toString(), "expected a single value, found a section or list");
        }
        return node.asString().asOptional().map(String::strip);
    }

    private static Optional<Path> path(Config config, String key, ServerConfig.Environment environment) {
        return string(config, key).map(text -> {
            if (text.isEmpty()) {
                throw new InvalidConfigException(config.get(key).key().toString(), "is empty");
            }
            try {
                return environment.workingDirectory().resolve(text).normalize();
            } catch (InvalidPathException e) {
                throw new InvalidConfigException(config.get(key).key().toString(), "'" + text + "' is not a path");
            }
        });
    }

    private static long size(String key, String text) {
        try {
            return ServerConfig.size(text);
        } catch (InvalidConfigException e) {
            throw new InvalidConfigException(key, "'" + text
                    + "' is not a positive size (bytes, or a number with K, M, G or T, e.g. 1M)");
        }
    }
}
