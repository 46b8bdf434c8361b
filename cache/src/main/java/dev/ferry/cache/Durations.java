package dev.ferry.cache;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The durations Ferry's settings and options take: {@code 500ms}, {@code 30s}, {@code 2m}, {@code 1h}, {@code 7d}
 * (the unit in either case), or ISO-8601 ({@code PT30S}).
 */
public final class Durations {
    private static final Pattern SHORT = Pattern.compile("(-?[0-9]{1,15})(ms|s|m|h|d)");

    private Durations() {
    }

    /** {@code text} as a duration (its sign unchecked: the caller says what it accepts); empty if it is none. */
    public static Optional<Duration> parse(String text) {
        String t = text.strip();
        Matcher m = SHORT.matcher(t.toLowerCase(Locale.ROOT));
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            try {
                return Optional.of(switch (m.group(2)) {
                    case "ms" -> Duration.ofMillis(n);
                    case "s" -> Duration.ofSeconds(n);
                    case "m" -> Duration.ofMinutes(n);
                    case "h" -> Duration.ofHours(n);
                    default -> Duration.ofDays(n);
                });
            } catch (ArithmeticException e) {
                return Optional.empty(); // more days than a Duration holds
            }
        }
        try {
            return Optional.of(Duration.parse(t));
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }
}
