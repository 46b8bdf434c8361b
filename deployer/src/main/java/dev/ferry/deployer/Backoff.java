package dev.ferry.deployer;

import java.time.Duration;
import java.time.Instant;

/**
 * When a service whose activation failed for a reason that may mend itself (its program exited while systemd would
 * restart it, its closure could not be realised, its {@code envFile} was missing) is tried again: 30 s after the
 * first failure (the next pass, by default), then after 1, 2 and 4 min, then every 5 min, so a service that keeps
 * failing does not start a unit on every pass. A generation that changes the service (another spec) tries it at once,
 * as does {@code ferry deployer --once}.
 *
 * @param spec     the spec that failed
 * @param failures how many passes in a row it failed
 * @param next     not tried again before this
 */
public record Backoff(String spec, int failures, Instant next) {
    static final Duration FIRST = Duration.ofSeconds(30);
    static final Duration MAX = Duration.ofMinutes(5);

    /** After another failure of {@code spec} at {@code now}: one more than {@code previous} if it was the same spec. */
    static Backoff after(java.util.Optional<Backoff> previous, String spec, Instant now) {
        int failures = previous.filter(b -> b.spec.equals(spec)).map(b -> b.failures + 1).orElse(1);
        Duration wait = FIRST.multipliedBy(1L << Math.min(failures - 1, 4));
        return new Backoff(spec, failures, now.plus(wait.compareTo(MAX) > 0 ? MAX : wait));
    }

    /** For the error a failure reports: when it is tried again. */
    String describe(Instant now) {
        long seconds = Duration.between(now, next).toSeconds();
        return "tried again at " + java.time.format.DateTimeFormatter.ofPattern("HH:mm:ss 'UTC'")
                .format(next.atOffset(java.time.ZoneOffset.UTC)) + " (in "
                + (seconds % 60 == 0 ? seconds / 60 + " min" : seconds + " s")
                + (failures > 1 ? "; failure " + failures + " in a row" : "") + ")";
    }
}
