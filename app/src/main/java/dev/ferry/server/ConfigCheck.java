package dev.ferry.server;

import dev.ferry.builder.PipelineSettings;
import dev.ferry.builder.Project;
import dev.ferry.deployer.DeployerSettings;
import dev.ferry.nix.SecretKey;
import dev.ferry.webhook.Repository;
import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Loads every section of the configuration (server and cache, builds, pipeline, deployer, logs) and collects all its
 * problems instead of stopping at the first: the one code path of {@code ferry check-config}, {@code ferry serve
 * --check-config} and the start of {@code ferry serve}. Unknown keys anywhere under {@code ferry.} in the file are
 * problems. A bad value is reported, then left out (its default stands in) so that the keys after it are checked too.
 * Nothing is read but the configuration file: secret files are only named here, and read when the server starts.
 */
public final class ConfigCheck {
    /** Every single-valued key the code reads (lists: {@code ferry.projects}, deployer lists, take sub-keys). */
    public static final List<String> KEYS = Stream.of(ServerConfig.KEYS, BuilderSettings.KEYS, PipelineSettings.KEYS,
            DeployerConfig.KEYS, LogSettings.KEYS).flatMap(List::stream).distinct().toList();
    private static final Pattern PROJECT_KEY = Pattern.compile(
            "ferry\\.projects\\.\\d+\\.(name|clone-url|production-branch|webhook-secret-file)");
    /** The items of the list settings: {@code ferry.cache.trusted-keys.0} and the like. */
    static final Pattern LIST_ITEM = Pattern.compile(
            "ferry\\.(deployer\\.trusted-keys|deployer\\.substituters|cache\\.trusted-keys)\\.\\d+");
    private static final int MAX_PASSES = 100;

    /** A problem: {@code <key>: <reason>}. */
    public record Problem(String key, String reason) {
        @Override
        public String toString() {
            return key + ": " + reason;
        }
    }

    /** Whom the configuration is for: it decides how the deployer's settings are cross-checked. */
    public enum Use {
        /** {@code ferry serve}: the co-resident deployer's defaults stand in (the server's key, its cache). */
        SERVER,
        /** {@code ferry deployer}: a manifest URI and trusted keys of its own are needed. */
        AGENT,
        /** {@code ferry check-config}: an agent's if {@link DeployerConfig#agent()}, else a server's. */
        EITHER
    }

    /** Every section, loaded; {@code agent} when it was checked as an agent's. */
    public record Loaded(ServerConfig server, BuilderSettings builder, PipelineSettings pipeline,
                         DeployerConfig deployer, LogSettings log, boolean agent) {
        /** The one line {@code check-config} prints for a valid configuration. */
        public String summary() {
            if (agent) {
                DeployerSettings agent = deployer.agentSettings();
                return "ferry: configuration is valid for the agent (host " + agent.host() + ", manifests from "
                        + agent.manifestUri() + ", " + agent.trustedKeys().size() + " trusted key(s), state in "
                        + agent.stateDir() + ", logs " + log.format().name().toLowerCase(java.util.Locale.ROOT) + ")";
            }
            return "ferry: configuration is valid (cache " + server.cacheUri() + ", listening on " + server.host()
                    + ":" + server.port() + ", " + builder.projects().size() + " project(s), deployer "
                    + (deployer.enabled() ? "enabled" : "disabled") + ", logs " + log.format().name()
                    .toLowerCase(java.util.Locale.ROOT) + ")";
        }
    }

    /** The outcome: the loaded sections when there is no problem. */
    public record Result(Optional<Loaded> loaded, List<Problem> problems) {
        public Result {
            problems = List.copyOf(problems);
        }

        /** The loaded sections, or an {@link InvalidConfigException} listing every problem, one per line. */
        public Loaded orThrow() {
            if (!problems.isEmpty() || loaded.isEmpty()) {
                if (problems.size() == 1) {
                    throw new InvalidConfigException(problems.getFirst().key(), problems.getFirst().reason());
                }
                throw new InvalidConfigException("--config", problems.size() + " problems:\n  " + String.join("\n  ",
                        problems.stream().map(Problem::toString).toList()));
            }
            return loaded.get();
        }
    }

    private ConfigCheck() {
    }

    /** As {@code ferry check-config} checks: {@link Use#EITHER}. */
    public static Result check(Optional<Path> file, ServerConfig.Environment environment) {
        return check(file, environment, Use.EITHER);
    }

    public static Result check(Optional<Path> file, ServerConfig.Environment environment, Use use) {
        List<Problem> problems = new ArrayList<>();
        Config merged;
        try {
            merged = ServerConfig.read(file, environment, false);
        } catch (InvalidConfigException e) {
            return new Result(Optional.empty(), List.of(new Problem(e.key(), e.reason())));
        }
        Map<String, String> values = new LinkedHashMap<>();
        merged.traverse().filter(Config::isLeaf).forEach(leaf -> leaf.asString().asOptional()
                .ifPresent(value -> values.put(leaf.key().toString(), value)));
        if (file.isPresent()) {
            // Only the file's keys: environment variables that are no setting are not the file's mistakes.
            Config fileOnly = ServerConfig.read(file, new ServerConfig.Environment(Map.of(), environment.root(),
                    environment.workingDirectory()), false);
            fileOnly.get("ferry").traverse().filter(Config::isLeaf).map(leaf -> leaf.key().toString()).sorted()
                    .forEach(key -> unknown(key).ifPresent(reason -> {
                        // Helidon numbers list items as keys; the report writes them as the docs do: projects[0].
                        problems.add(new Problem(key.replaceAll("\\.(\\d+)(?=\\.|$)", "[$1]"), reason));
                        values.remove(key);
                    }));
        }
        for (int pass = 0; pass < MAX_PASSES; pass++) {
            Config config = Config.builder().sources(List.of(ConfigSources.create(values, "checked settings")))
                    .disableEnvironmentVariablesSource().disableSystemPropertiesSource().disableKeyResolving()
                    .disableValueResolving().disableFilterServices().build();
            try {
                Loaded loaded = load(config, environment, use);
                return new Result(problems.isEmpty() ? Optional.of(loaded) : Optional.empty(), problems);
            } catch (InvalidConfigException e) {
                Problem problem = new Problem(e.key(), e.reason());
                // What leaving a bad value out leads to (the key now missing, say) adds nothing to its first problem.
                if (problems.stream().noneMatch(p -> p.key().equals(problem.key()))) {
                    problems.add(problem);
                }
                if (!leaveOut(values, problem.key())) {
                    break; // nothing to leave out (a missing key, a default that cannot be made): stop here
                }
            }
        }
        return new Result(Optional.empty(), problems);
    }

    /** The reason a key from the file is unknown, if it is. */
    private static Optional<String> unknown(String key) {
        if (KEYS.contains(key) || PROJECT_KEY.matcher(key).matches() || LIST_ITEM.matcher(key).matches()) {
            return Optional.empty();
        }
        if (key.matches("ferry\\.projects(\\.\\d+)?")) {
            return Optional.of("expected a list of projects, each with name, clone-url and production-branch");
        }
        if (key.startsWith("ferry.projects.")) {
            return Optional.of("unknown setting (known in a project: name, clone-url, production-branch, "
                    + "webhook-secret-file)");
        }
        if (KEYS.stream().anyMatch(k -> k.startsWith(key + "."))) {
            return Optional.of("expected a section of keys, found a single value");
        }
        String section = key.lastIndexOf('.') > "ferry".length() ? key.substring(0, key.lastIndexOf('.')) : "ferry";
        // The names one level below the section: a key, or a section of keys (ferry's own are mostly sections).
        List<String> near = java.util.stream.Stream.concat(KEYS.stream(), java.util.stream.Stream.of("ferry.projects"))
                .filter(k -> k.startsWith(section + ".")).map(k -> k.substring(section.length() + 1).split("\\.")[0])
                .distinct().toList();
        return Optional.of("unknown setting" + (near.isEmpty() ? ""
                : " (known in " + section + ": " + String.join(", ", near) + ")"));
    }

    private static Loaded load(Config config, ServerConfig.Environment environment, Use use) {
        ServerConfig server = ServerConfig.from(config, environment);
        BuilderSettings builder = BuilderSettings.from(config, environment);
        checkOneProjectPerRepository(builder.projects());
        PipelineSettings pipeline;
        try {
            pipeline = PipelineSettings.from(server.dataDir(), server.compression(),
                    key -> config.get(key).asString().asOptional());
        } catch (IllegalArgumentException e) {
            throw InvalidConfigException.named(e.getMessage(), "ferry", e);
        }
        DeployerConfig deployer = DeployerConfig.from(config, environment, server.dataDir());
        // The cross-checks of the deployer's own settings: an agent's as `ferry deployer` makes them, else with the
        // co-resident defaults standing in.
        boolean agent = use == Use.AGENT || (use == Use.EITHER && deployer.agent());
        if (agent) {
            deployer.agentSettings();
        } else {
            deployer.settings(server.cacheUri().toString(), List.of(SecretKey.generate("check").publicKey()),
                    List.of("http://" + server.host() + ":" + server.port() + "/cache"));
        }
        return new Loaded(server, builder, pipeline, deployer, LogSettings.from(config), agent);
    }

    /**
     * Two projects whose clone URLs are one repository once normalised as deliveries are matched: its deliveries
     * would be refused (409), since neither project is the better match.
     */
    private static void checkOneProjectPerRepository(List<BuilderSettings.ConfiguredProject> projects) {
        for (int later = 1; later < projects.size(); later++) {
            Project project = projects.get(later).project();
            for (int earlier = 0; earlier < later; earlier++) {
                Project first = projects.get(earlier).project();
                if (Repository.sameRepository(first.cloneUrl(), project.cloneUrl())) {
                    throw new InvalidConfigException(BuilderSettings.PROJECTS + "[" + later + "].clone-url", "'"
                            + project.redactedCloneUrl() + "' is the repository of project " + first.name() + " ("
                            + BuilderSettings.PROJECTS + "[" + earlier + "]) too: a repository's webhook deliveries "
                            + "go to one project only");
                }
            }
        }
    }

    /**
     * Removes the value(s) behind {@code key} ({@code ferry.projects[0].name} is {@code ferry.projects.0.name}). A bad
     * value in a project is replaced by a valid stand-in instead, so that the projects after it keep their index.
     */
    private static boolean leaveOut(Map<String, String> values, String key) {
        String dotted = key.replaceAll("\\[(\\d+)]", ".$1");
        java.util.regex.Matcher project = Pattern.compile("ferry\\.projects\\.(\\d+)\\.([a-z-]+)").matcher(dotted);
        if (project.matches()) {
            String standIn = switch (project.group(2)) {
                case "name" -> "checked-project-" + project.group(1);
                case "clone-url" -> "file:///checked/" + project.group(1); // each its own repository
                case "production-branch" -> "main";
                default -> "/checked";
            };
            return !standIn.equals(values.put(dotted, standIn));
        }
        // Only the key itself (or the section it names): a problem of a key that has no value (a required one left
        // unset) is not mended by leaving out its siblings, which would only report them missing in turn.
        String prefix = dotted;
        return values.keySet().removeIf(k -> k.equals(prefix) || k.startsWith(prefix + "."));
    }
}
