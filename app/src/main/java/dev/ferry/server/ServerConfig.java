package dev.ferry.server;

import dev.ferry.cache.CacheException;
import dev.ferry.cache.CacheUri;
import dev.ferry.cache.Compression;
import dev.ferry.nix.PublicKey;
import io.helidon.common.media.type.MediaTypes;
import io.helidon.config.Config;
import io.helidon.config.ConfigException;
import io.helidon.config.ConfigSources;
import io.helidon.config.EnvironmentVariables;
import io.helidon.config.spi.ConfigSource;
import io.helidon.config.yaml.YamlConfigParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The settings of {@code ferry serve}, from a YAML file and environment variables (which win), with the defaults
 * described in {@code docs/configuration.md}. Loading only parses and checks values; files named here are read when
 * the server starts ({@link FerryServer}).
 *
 * @param secretKeyFileIsDefault whether {@code secretKeyFile} is the default one, which is generated when missing
 *                               (a configured one that is missing is an error: it is somebody's key)
 */
public record ServerConfig(Path dataDir, String host, int port, CacheUri cacheUri, Path secretKeyFile,
                           boolean secretKeyFileIsDefault, Compression compression, Optional<Path> uploadTokenFile,
                           long maxUploadSize, List<PublicKey> trustedKeys) {

    public static final String DATA_DIR = "ferry.data-dir";
    public static final String HOST = "ferry.server.host";
    public static final String PORT = "ferry.server.port";
    public static final String CACHE_URI = "ferry.cache.uri";
    public static final String SECRET_KEY_FILE = "ferry.cache.secret-key-file";
    public static final String COMPRESSION = "ferry.cache.compression";
    public static final String UPLOAD_TOKEN_FILE = "ferry.cache.upload-token-file";
    public static final String MAX_UPLOAD_SIZE = "ferry.cache.max-upload-size";
    public static final String TRUSTED_KEYS = "ferry.cache.trusted-keys";

    /** Every key this server reads. Unknown keys in the sections it owns ({@code ferry.server}, {@code ferry.cache}) are errors. */
    public static final List<String> KEYS = List.of(DATA_DIR, HOST, PORT, CACHE_URI, SECRET_KEY_FILE, COMPRESSION,
            UPLOAD_TOKEN_FILE, MAX_UPLOAD_SIZE, TRUSTED_KEYS);
    private static final List<String> OWNED_SECTIONS = List.of("ferry.server", "ferry.cache");

    public ServerConfig {
        trustedKeys = List.copyOf(trustedKeys);
    }

    /** Trusting no key but its own. */
    public ServerConfig(Path dataDir, String host, int port, CacheUri cacheUri, Path secretKeyFile,
                        boolean secretKeyFileIsDefault, Compression compression, Optional<Path> uploadTokenFile,
                        long maxUploadSize) {
        this(dataDir, host, port, cacheUri, secretKeyFile, secretKeyFileIsDefault, compression, uploadTokenFile,
                maxUploadSize, List.of());
    }

    static final String DEFAULT_HOST = "127.0.0.1";
    static final int DEFAULT_PORT = 8080;
    static final long DEFAULT_MAX_UPLOAD_SIZE = 32L << 30;
    private static final Pattern SIZE = Pattern.compile("(\\d{1,19})\\s*(?:([KMGT])(?:iB)?)?", Pattern.CASE_INSENSITIVE);

    /** What the defaults depend on: environment variables, whether the process runs as root, its working directory. */
    public record Environment(Map<String, String> variables, boolean root, Path workingDirectory) {
        public Environment {
            variables = Map.copyOf(variables);
            workingDirectory = workingDirectory.toAbsolutePath();
        }

        public static Environment current() {
            Map<String, String> variables = new HashMap<>(System.getenv());
            variables.putIfAbsent("HOME", System.getProperty("user.home"));
            return new Environment(variables, isRoot(), Path.of("").toAbsolutePath());
        }

        private static boolean isRoot() {
            try {
                return Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
            } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
                return "root".equals(System.getProperty("user.name"));
            }
        }
    }

    /** Loads the settings: environment variables first, then {@code file} if given, then the defaults. */
    public static ServerConfig load(Optional<Path> file, Environment environment) {
        return from(read(file, environment), environment);
    }

    /**
     * The whole configuration (environment variables, then {@code file}), for the settings of other sections
     * ({@link BuilderSettings#from}).
     */
    public static Config read(Optional<Path> file, Environment environment) {
        return read(file, environment, true);
    }

    /** As {@link #read(Optional, Environment)}; {@link ConfigCheck} checks the keys of every section itself. */
    static Config read(Optional<Path> file, Environment environment, boolean checkKeys) {
        List<Supplier<? extends ConfigSource>> sources = new ArrayList<>();
        sources.add(ConfigSources.create(environmentSettings(environment.variables()), "environment variables"));
        Optional<Config> fileConfig = file.map(f -> {
            Path absolute = environment.workingDirectory().resolve(f);
            if (!Files.isRegularFile(absolute) || !Files.isReadable(absolute)) {
                throw new InvalidConfigException("--config", absolute + " is not a readable file");
            }
            Config parsed = build(List.of(ConfigSources.file(absolute).mediaType(MediaTypes.APPLICATION_YAML)), absolute);
            if (checkKeys) {
                checkKnownKeys(parsed);
            }
            sources.add(ConfigSources.file(absolute).mediaType(MediaTypes.APPLICATION_YAML));
            return parsed;
        });
        return build(sources, fileConfig.isPresent() ? file.get() : Path.of("(environment)"));
    }

    private static Config build(List<Supplier<? extends ConfigSource>> sources, Path what) {
        try {
            Config config = Config.builder()
                    .sources(sources)
                    .disableEnvironmentVariablesSource()
                    .disableSystemPropertiesSource()
                    .disableKeyResolving()
                    .disableValueResolving()
                    .addParser(YamlConfigParser.create())
                    .build();
            config.traverse().forEach(node -> { }); // parse now, so errors surface here
            return config;
        } catch (ConfigException e) {
            throw new InvalidConfigException("--config", what + " cannot be read: " + e.getMessage(), e);
        }
    }

    /**
     * The settings given as environment variables: Helidon's mapping ({@code FERRY_SERVER_PORT} is
     * {@code ferry.server.port}, {@code _dash_} is {@code -}: {@code FERRY_DATA_dash_DIR}), and for the keys listed
     * in {@link #KEYS} also the plain form with every {@code .} and {@code -} as {@code _} ({@code FERRY_DATA_DIR}),
     * which wins. Only variables starting with {@code FERRY_} are considered.
     */
    static Map<String, String> environmentSettings(Map<String, String> variables) {
        Map<String, String> ferry = new HashMap<>();
        variables.forEach((name, value) -> {
            if (name.startsWith("FERRY_")) {
                ferry.put(name, value);
            }
        });
        Map<String, String> settings = new HashMap<>(EnvironmentVariables.expand(ferry));
        for (String key : java.util.stream.Stream.of(KEYS, BuilderSettings.KEYS, dev.ferry.builder.PipelineSettings.KEYS,
                DeployerConfig.KEYS, LogSettings.KEYS).flatMap(List::stream).toList()) {
            String value = variables.get(environmentName(key));
            if (value != null) {
                settings.put(key, value);
            }
        }
        return settings;
    }

    /** {@code ferry.cache.upload-token-file} is {@code FERRY_CACHE_UPLOAD_TOKEN_FILE}. */
    public static String environmentName(String key) {
        return key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    private static void checkKnownKeys(Config file) {
        for (String section : OWNED_SECTIONS) {
            Config node = file.get(section);
            if (node.exists() && node.isLeaf()) {
                throw new InvalidConfigException(section, "expected a section of keys, found a single value");
            }
            node.traverse().filter(Config::isLeaf).forEach(leaf -> {
                String key = leaf.key().toString();
                if (!KEYS.contains(key) && !ConfigCheck.LIST_ITEM.matcher(key).matches()) {
                    throw new InvalidConfigException(key, "unknown setting (known: " + String.join(", ", KEYS) + ")");
                }
            });
        }
    }

    static ServerConfig from(Config config, Environment environment) {
        Path dataDir = path(config, DATA_DIR, environment).orElseGet(() -> defaultDataDir(environment));
        String host = string(config, HOST).orElse(DEFAULT_HOST);
        if (host.isBlank()) {
            throw new InvalidConfigException(HOST, "is empty");
        }
        int port = string(config, PORT).map(ServerConfig::port).orElse(DEFAULT_PORT);
        CacheUri cacheUri;
        try {
            cacheUri = CacheUri.parse(string(config, CACHE_URI)
                    .orElseGet(() -> dataDir.resolve("cache").toUri().toString()));
        } catch (CacheException e) {
            throw new InvalidConfigException(CACHE_URI, e.getMessage(), e);
        }
        Optional<Path> secretKeyFile = path(config, SECRET_KEY_FILE, environment);
        Compression compression;
        try {
            compression = Compression.parse(string(config, COMPRESSION).orElse(Compression.ZSTD.nixName()));
        } catch (CacheException e) {
            throw new InvalidConfigException(COMPRESSION, e.getMessage(), e);
        }
        Optional<Path> uploadTokenFile = path(config, UPLOAD_TOKEN_FILE, environment);
        long maxUploadSize = string(config, MAX_UPLOAD_SIZE).map(ServerConfig::size).orElse(DEFAULT_MAX_UPLOAD_SIZE);
        return new ServerConfig(dataDir, host, port, cacheUri,
                secretKeyFile.orElseGet(() -> dataDir.resolve("keys").resolve("cache-secret.key")),
                secretKeyFile.isEmpty(), compression, uploadTokenFile, maxUploadSize, publicKeys(config, TRUSTED_KEYS));
    }

    /** A list setting: a YAML list, or one string of items separated by spaces or commas (an environment variable). */
    static List<String> list(Config config, String key) {
        Config node = config.get(key);
        if (!node.exists()) {
            return List.of();
        }
        if (node.isLeaf()) {
            return java.util.Arrays.stream(node.asString().get().strip().split("[,\\s]+")).filter(t -> !t.isEmpty())
                    .toList();
        }
        return node.asList(String.class).get().stream().map(String::strip).toList();
    }

    /** A list setting of public keys ({@code name:base64}); one that does not parse is an error naming {@code key}. */
    static List<PublicKey> publicKeys(Config config, String key) {
        List<PublicKey> keys = new ArrayList<>();
        for (String text : list(config, key)) {
            try {
                keys.add(PublicKey.parse(text));
            } catch (dev.ferry.nix.NixFormatException | IllegalArgumentException e) {
                throw new InvalidConfigException(key, "'" + text + "' is not a public key, name:base64 ("
                        + e.getMessage() + ")");
            }
        }
        return keys;
    }

    /** {@code /var/lib/ferry} for root, else {@code $XDG_DATA_HOME/ferry}, else {@code ~/.local/share/ferry}. */
    static Path defaultDataDir(Environment environment) {
        if (environment.root()) {
            return Path.of("/var/lib/ferry");
        }
        String xdg = environment.variables().get("XDG_DATA_HOME");
        if (xdg != null && xdg.startsWith("/")) {
            return Path.of(xdg, "ferry");
        }
        String home = environment.variables().get("HOME");
        if (home == null || !home.startsWith("/")) {
            throw new InvalidConfigException(DATA_DIR, "has no default: neither XDG_DATA_HOME nor HOME is an absolute path");
        }
        return Path.of(home, ".local", "share", "ferry");
    }

    private static Optional<String> string(Config config, String key) {
        Config node = config.get(key);
        if (!node.exists()) {
            return Optional.empty();
        }
        if (!node.isLeaf()) {
            throw new InvalidConfigException(key, "expected a single value, found a section or list");
        }
        return node.asString().asOptional().map(String::strip);
    }

    private static Optional<Path> path(Config config, String key, Environment environment) {
        return string(config, key).map(text -> {
            if (text.isEmpty()) {
                throw new InvalidConfigException(key, "is empty");
            }
            try {
                return environment.workingDirectory().resolve(text).normalize();
            } catch (InvalidPathException e) {
                throw new InvalidConfigException(key, "'" + text + "' is not a path");
            }
        });
    }

    private static int port(String text) {
        try {
            int port = Integer.parseInt(text);
            if (port >= 0 && port <= 65535) {
                return port;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new InvalidConfigException(PORT, "'" + text + "' is not a port number (0 to 65535; 0 picks a free port)");
    }

    /** Bytes, or a number with K, M, G or T (binary: 1K = 1024), optionally followed by iB: {@code 32G}, {@code 512MiB}. */
    static long size(String text) {
        Matcher m = SIZE.matcher(text);
        if (m.matches()) {
            int shift = m.group(2) == null ? 0 : 10 * ("KMGT".indexOf(m.group(2).toUpperCase(Locale.ROOT)) + 1);
            try {
                long value = Long.parseLong(m.group(1));
                if (value > 0 && value <= (Long.MAX_VALUE >> shift)) {
                    return value << shift;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
        }
        throw new InvalidConfigException(MAX_UPLOAD_SIZE, "'" + text
                + "' is not a positive size (bytes, or a number with K, M, G or T, e.g. 32G)");
    }
}
