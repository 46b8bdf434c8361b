package dev.ferry.server;

import io.helidon.config.Config;
import java.util.List;
import java.util.Locale;

/**
 * {@code ferry.log.format}: {@code text} (the JDK's two-line format) or {@code json} (one object per line, see
 * {@link JsonLogFormatter}).
 */
public record LogSettings(Format format) {
    public static final String FORMAT = "ferry.log.format";
    public static final List<String> KEYS = List.of(FORMAT);

    public enum Format { TEXT, JSON }

    static LogSettings from(Config config) {
        Config node = config.get(FORMAT);
        if (!node.exists()) {
            return new LogSettings(Format.TEXT);
        }
        if (!node.isLeaf()) {
            throw new InvalidConfigException(FORMAT, "expected a single value, found a section or list");
        }
        String text = node.asString().get().strip();
        return switch (text.toLowerCase(Locale.ROOT)) {
            case "text" -> new LogSettings(Format.TEXT);
            case "json" -> new LogSettings(Format.JSON);
            default -> throw new InvalidConfigException(FORMAT, "'" + text + "' is not text or json");
        };
    }
}
