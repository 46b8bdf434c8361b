package dev.ferry.server;

import dev.ferry.deployer.DeployerException;
import dev.ferry.deployer.DeployerSettings;
import dev.ferry.nix.PublicKey;
import io.helidon.common.media.type.MediaTypes;
import io.helidon.config.Config;
import io.helidon.config.ConfigException;
import io.helidon.config.ConfigSources;
import io.helidon.config.EnvironmentVariables;
import io.helidon.config.yaml.YamlConfigParser;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The {@code ferry.deployer.*} settings (docs/configuration.md) read from the same YAML file and {@code FERRY_}
 * environment variables as {@link ServerConfig}, into the deployer's own {@link DeployerSettings}. Lists can be YAML
 * lists or, in one variable, separated by commas or spaces ({@code FERRY_DEPLOYER_TRUSTED_KEYS="a:.. b:.."}).
 *
 * @param enabled       {@code ferry.deployer.enabled}: whether {@code ferry serve} runs a deployer in-process
 * @param manifestUri   {@code ferry.deployer.manifest-uri}, if set (co-resident default: the server's cache)
 * @param trustedKeys   {@code ferry.deployer.trusted-keys}, possibly empty (co-resident: the server's own key)
 * @param substituters  {@code ferry.deployer.substituters}, possibly empty (co-resident: the server's /cache)
 * @param reportTokenFile {@code ferry.deployer.report-token-file}: on the server, the token agents' reports must
 *                      carry; on an agent reading a server over HTTP, the token it reports with
 */
public record DeployerConfig(boolean enabled, Optional<String> manifestUri, String host, List<PublicKey> trustedKeys,
                             List<String> substituters, Path profilesDir, int keepGenerations, Path stateDir,
                             String systemdBus, String unitPrefix, int[] portRange, URI caddyAdminUrl,
                             String caddyListen, Duration pollInterval, Duration reconcileInterval,
                             Optional<Path> reportTokenFile) {
    static final String PREFIX = "ferry.deployer.";
    public static final String REPORT_TOKEN_FILE = PREFIX + "report-token-file";
    public static final List<String> KEYS = List.of("enabled", "manifest-uri", "host", "trusted-keys",
            "substituters", "profiles-dir", "keep-generations", "state-dir", "systemd-bus", "unit-prefix",
            "port-range", "caddy-admin-url", "caddy-listen", "poll-interval", "reconcile-interval",
            "report-token-file").stream()
            .map(k -> PREFIX + k).toList();

    /** The settings for a deployer, with the co-resident defaults filled from the running server where unset. */
    public DeployerSettings settings(String defaultManifestUri, List<PublicKey> defaultKeys,
                                     List<String> defaultSubstituters) {
        try {
            return new DeployerSettings(manifestUri.orElse(defaultManifestUri), host,
                    trustedKeys.isEmpty() ? defaultKeys : trustedKeys,
                    substituters.isEmpty() ? defaultSubstituters : substituters, profilesDir, keepGenerations,
                    stateDir, systemdBus, unitPrefix, portRange[0], portRange[1], caddyAdminUrl, caddyListen,
                    pollInterval, reconcileInterval);
        } catch (DeployerException e) {
            throw InvalidConfigException.named(e.getMessage(), "ferry.deployer", e);
        }
    }

    /**
     * Whether this looks like an agent's configuration ({@code ferry deployer}): a {@code manifest-uri} and no
     * co-resident deployer. {@code ferry check-config} then checks it as the agent will use it.
     */
    public boolean agent() {
        return manifestUri.isPresent() && !enabled;
    }

    /**
     * The agent's settings: no default trusted key; over HTTP, the server's cache is the default substituter. The
     * manifest URI is checked as the agent will open it (nothing is contacted).
     */
    public DeployerSettings agentSettings() {
        String uri = manifestUri.orElseThrow(() -> new InvalidConfigException(PREFIX + "manifest-uri",
                "is required for the agent (file://, s3:// or http(s)://HOST/cache)"));
        if (!overHttp(uri) && !uri.startsWith("file://") && !uri.startsWith("s3://")) {
            throw new InvalidConfigException(PREFIX + "manifest-uri", "'" + uri + "' is not a Ferry server's "
                    + "http(s)://HOST[:PORT]/cache, nor a cache's file:// or s3:// URI");
        }
        try {
            if (overHttp(uri)) {
                dev.ferry.deployer.HttpStorage.parse(uri);
            } else {
                dev.ferry.cache.CacheUri.parse(uri);
            }
        } catch (DeployerException | dev.ferry.cache.CacheException e) {
            throw new InvalidConfigException(PREFIX + "manifest-uri", e.getMessage(), e);
        }
        return settings(uri, List.of(), overHttp(uri) ? List.of(uri) : List.of());
    }

    /** Whether the agent reads a Ferry server ({@code http(s)://HOST/cache}) rather than storage. */
    public static boolean overHttp(String manifestUri) {
        return manifestUri.startsWith("http://") || manifestUri.startsWith("https://");
    }

    /** Loads the deployer's keys: environment variables first, then {@code file}, then the defaults. */
    public static DeployerConfig load(Optional<Path> file, ServerConfig.Environment environment, Path dataDir) {
        // Both spellings, as for ServerConfig: Helidon's mapping (_dash_ for -), then the plain one, which wins.
        Map<String, String> ferryVariables = new HashMap<>();
        environment.variables().forEach((name, value) -> {
            if (name.startsWith("FERRY_DEPLOYER_")) {
                ferryVariables.put(name, value);
            }
        });
        Map<String, String> env = new HashMap<>(EnvironmentVariables.expand(ferryVariables));
        for (String key : KEYS) {
            String value = environment.variables().get(ServerConfig.environmentName(key));
            if (value != null) {
                env.put(key, value);
            }
        }
        Config.Builder builder = Config.builder().disableEnvironmentVariablesSource().disableSystemPropertiesSource()
                .disableKeyResolving().disableValueResolving().addParser(YamlConfigParser.create());
        List<java.util.function.Supplier<? extends io.helidon.config.spi.ConfigSource>> sources = new ArrayList<>();
        sources.add(ConfigSources.create(env, "environment variables"));
        file.map(f -> environment.workingDirectory().resolve(f)).ifPresent(f -> {
            if (!Files.isRegularFile(f)) {
                throw new InvalidConfigException("--config", f + " is not a readable file");
            }
            sources.add(ConfigSources.file(f).mediaType(MediaTypes.APPLICATION_YAML));
        });
        Config config;
        try {
            config = builder.sources(sources).build();
            config.traverse().forEach(node -> { });
        } catch (ConfigException e) {
            throw new InvalidConfigException("--config", "cannot be read: " + e.getMessage(), e);
        }
        // Unknown keys are refused in the file only: Helidon's reading of plain variable names invents keys.
        file.map(f -> environment.workingDirectory().resolve(f)).ifPresent(f -> Config.builder()
                .disableEnvironmentVariablesSource().disableSystemPropertiesSource().disableKeyResolving()
                .disableValueResolving().addParser(YamlConfigParser.create())
                .sources(List.of(ConfigSources.file(f).mediaType(MediaTypes.APPLICATION_YAML))).build()
                .get("ferry.deployer").traverse().filter(Config::isLeaf).forEach(leaf -> {
                    String key = leaf.key().toString();
                    if (KEYS.stream().noneMatch(k -> key.equals(k) || key.startsWith(k + "."))) {
                        throw new InvalidConfigException(key, "unknown setting (known: " + String.join(", ", KEYS)
                                + ")");
                    }
                }));
        return from(config, environment, dataDir);
    }

    static DeployerConfig from(Config config, ServerConfig.Environment environment, Path dataDir) {
        boolean enabled = string(config, "enabled").map(v -> bool(PREFIX + "enabled", v)).orElse(false);
        List<PublicKey> keys = ServerConfig.publicKeys(config, PREFIX + "trusted-keys");
        int[] ports;
        try {
            ports = DeployerSettings.parsePortRange(string(config, "port-range").orElse("20000-29999"));
        } catch (DeployerException e) {
            throw new InvalidConfigException(PREFIX + "port-range", e.getMessage());
        }
        URI caddy;
        try {
            caddy = URI.create(string(config, "caddy-admin-url").orElse("http://127.0.0.1:2019"));
        } catch (IllegalArgumentException e) {
            throw new InvalidConfigException(PREFIX + "caddy-admin-url", "not a URL: " + e.getMessage());
        }
        return new DeployerConfig(enabled, string(config, "manifest-uri"),
                string(config, "host").orElseGet(DeployerConfig::hostname), keys,
                ServerConfig.list(config, PREFIX + "substituters"),
                path(config, "profiles-dir", environment).orElse(Path.of("/nix/var/nix/profiles/ferry")),
                string(config, "keep-generations").map(v -> integer("keep-generations", v)).orElse(5),
                path(config, "state-dir", environment).orElse(dataDir.resolve("deployer")),
                string(config, "systemd-bus").orElse("system"), string(config, "unit-prefix").orElse("ferry-"),
                ports, caddy, string(config, "caddy-listen").orElse(":80"),
                string(config, "poll-interval").map(v -> duration("poll-interval", v)).orElse(Duration.ofSeconds(30)),
                string(config, "reconcile-interval").map(v -> duration("reconcile-interval", v))
                        .orElse(Duration.ofSeconds(30)),
                path(config, "report-token-file", environment));
    }

    private static String hostname() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return Optional.ofNullable(System.getenv("HOSTNAME")).orElse("localhost");
        }
    }

    private static Optional<String> string(Config config, String key) {
        Config node = config.get(PREFIX + key);
        if (!node.exists()) {
            return Optional.empty();
        }
        if (!node.isLeaf()) {
            throw new InvalidConfigException(PREFIX + key, "expected a single value, found a section or list");
        }
        return node.asString().asOptional().map(String::strip);
    }

    private static Optional<Path> path(Config config, String key, ServerConfig.Environment environment) {
        return string(config, key).map(text -> environment.workingDirectory().resolve(text).normalize());
    }

    /** {@code true}, {@code yes}, {@code on} or their opposites, in any case: every boolean setting of Ferry's. */
    static boolean bool(String key, String value) {
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "true", "yes", "on" -> true;
            case "false", "no", "off" -> false;
            default -> throw new InvalidConfigException(key, "'" + value + "' is not true or false");
        };
    }

    private static int integer(String key, String value) {
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new InvalidConfigException(PREFIX + key, "'" + value + "' is not a whole number");
        }
    }

    /** A positive duration ({@link dev.ferry.cache.Durations}). */
    static Duration duration(String key, String value) {
        return positive(key, dev.ferry.cache.Durations.parse(value).orElseThrow(() -> new InvalidConfigException(
                PREFIX + key, "'" + value + "' is not a duration (e.g. 30s, 500ms, 2m)")));
    }

    private static Duration positive(String key, Duration d) {
        if (d.isNegative() || d.isZero()) {
            throw new InvalidConfigException(PREFIX + key, "must be positive");
        }
        return d;
    }
}
