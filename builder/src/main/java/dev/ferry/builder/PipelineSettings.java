package dev.ferry.builder;

import dev.ferry.cache.Compression;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * What the build pipeline needs to know beyond the cache: see the "Builds" section of {@code docs/configuration.md}.
 *
 * @param dataDir         holds {@code git/<project>.git} (mirrors) and {@code work/<build-id>} (checkouts)
 * @param ephemeralDomain deployments are reachable under it: {@code <project>-<branch-slug>.<ephemeralDomain>}
 * @param nixTimeout      the longest one {@code nix} invocation (evaluation, build) may run; its tree is then killed
 * @param compression     how published NARs are compressed ({@code ferry.cache.compression})
 * @param system          the Nix system packages are built for ({@code x86_64-linux})
 */
public record PipelineSettings(Path dataDir, String ephemeralDomain, Duration nixTimeout, Compression compression,
                               String system) {
    public static final String EPHEMERAL_DOMAIN = "ferry.domains.ephemeral";
    public static final String NIX_TIMEOUT = "ferry.builder.nix-timeout";
    public static final String SYSTEM = "ferry.builder.system";
    /** The keys read here (also settable as plain environment variables: {@code FERRY_BUILDER_NIX_TIMEOUT}). */
    public static final java.util.List<String> KEYS = java.util.List.of(EPHEMERAL_DOMAIN, NIX_TIMEOUT, SYSTEM);
    static final String DEFAULT_EPHEMERAL_DOMAIN = "localhost";
    static final Duration DEFAULT_NIX_TIMEOUT = Duration.ofHours(1);
    private static final Pattern DOMAIN = Pattern.compile(
            "(?=.{1,200}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*");

    public PipelineSettings {
        Objects.requireNonNull(dataDir, "dataDir");
        if (!DOMAIN.matcher(ephemeralDomain).matches()) {
            throw new IllegalArgumentException(EPHEMERAL_DOMAIN + ": '" + ephemeralDomain
                    + "' is not a lower-case DNS name (such as ferry.example.org)");
        }
        if (nixTimeout.isNegative() || nixTimeout.isZero()) {
            throw new IllegalArgumentException(NIX_TIMEOUT + ": must be positive");
        }
        Objects.requireNonNull(compression, "compression");
        if (!system.matches("[a-z0-9_]+-[a-z0-9_]+")) {
            throw new IllegalArgumentException(SYSTEM + ": '" + system + "' is not a Nix system (such as x86_64-linux)");
        }
    }

    /**
     * Reads the builder's keys through {@code setting} (key to value, e.g. Helidon's
     * {@code key -> config.get(key).asString().asOptional()}); errors name the key.
     */
    public static PipelineSettings from(Path dataDir, Compression compression,
                                        Function<String, Optional<String>> setting) {
        String domain = setting.apply(EPHEMERAL_DOMAIN).map(String::strip).orElse(DEFAULT_EPHEMERAL_DOMAIN);
        Duration timeout = setting.apply(NIX_TIMEOUT).map(String::strip).map(PipelineSettings::duration)
                .orElse(DEFAULT_NIX_TIMEOUT);
        String system = setting.apply(SYSTEM).map(String::strip).orElseGet(PipelineSettings::hostSystem);
        return new PipelineSettings(dataDir, domain, timeout, compression, system);
    }

    /** The defaults, for tests and embedding. */
    public static PipelineSettings defaults(Path dataDir) {
        return from(dataDir, Compression.ZSTD, key -> Optional.empty());
    }

    public PipelineSettings withEphemeralDomain(String domain) {
        return new PipelineSettings(dataDir, domain, nixTimeout, compression, system);
    }

    /** {@code 90s}, {@code 30m}, {@code 2h}, or an ISO-8601 duration ({@code PT1H}). */
    static Duration duration(String text) {
        return dev.ferry.cache.Durations.parse(text).filter(d -> !d.isNegative() && !d.isZero())
                .orElseThrow(() -> new IllegalArgumentException(NIX_TIMEOUT + ": '" + text
                        + "' is not a positive duration (90s, 30m, 2h)"));
    }

    /** {@code x86_64-linux} on amd64, {@code aarch64-linux} on arm64. */
    static String hostSystem() {
        String arch = System.getProperty("os.arch", "");
        String cpu = switch (arch) {
            case "amd64", "x86_64" -> "x86_64";
            case "aarch64", "arm64" -> "aarch64";
            default -> arch;
        };
        return cpu + "-linux";
    }
}
