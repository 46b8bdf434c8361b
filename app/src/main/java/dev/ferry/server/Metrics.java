package dev.ferry.server;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * The counters behind {@code GET /metrics}, in the Prometheus text format (version 0.0.4), written by hand: a few
 * counters and sums need no metrics library (docs/api.md lists them). One instance per server, handed to what counts.
 */
public final class Metrics {
    private final Clock clock;
    private final Map<String, LongAdder> builds = new ConcurrentHashMap<>();
    private final Map<String, Sum> phases = new ConcurrentHashMap<>();
    private final LongAdder pathsPublished = new LongAdder();
    private final LongAdder bytesPublished = new LongAdder();
    private final LongAdder narinfoHits = new LongAdder();
    private final LongAdder narinfoMisses = new LongAdder();
    private final LongAdder narBytesServed = new LongAdder();
    private final LongAdder generationsWritten = new LongAdder();
    private final Map<String, LongAdder> activations = new ConcurrentHashMap<>();
    private final Sum reconciles = new Sum();
    private final AtomicReference<Optional<Instant>> lastGoodReconcile = new AtomicReference<>(Optional.empty());
    private final AtomicReference<Optional<Instant>> deployerStarted = new AtomicReference<>(Optional.empty());

    /** A count and a total in seconds (a Prometheus summary without quantiles). */
    private static final class Sum {
        final LongAdder count = new LongAdder();
        final LongAdder nanos = new LongAdder();

        void add(Duration d) {
            count.increment();
            nanos.add(d.toNanos());
        }
    }

    Metrics(Clock clock) {
        this.clock = clock;
    }

    public static Metrics create() {
        return new Metrics(Clock.systemUTC());
    }

    /** A build ended with {@code status} ({@code succeeded}, {@code failed}, {@code cancelled}). */
    void buildEnded(String status) {
        builds.computeIfAbsent(status, s -> new LongAdder()).increment();
    }

    void phase(String phase, Duration duration) {
        phases.computeIfAbsent(phase, p -> new Sum()).add(duration);
    }

    /** A narinfo written to the cache (a path published), by a build or an upload. */
    void pathPublished() {
        pathsPublished.increment();
    }

    /** Bytes of a NAR file written to the cache (compressed, as stored). */
    void narBytesPublished(long bytes) {
        bytesPublished.add(bytes);
    }

    void narinfo(boolean hit) {
        (hit ? narinfoHits : narinfoMisses).increment();
    }

    void narBytesServed(long bytes) {
        narBytesServed.add(bytes);
    }

    void generationWritten() {
        generationsWritten.increment();
    }

    /**
     * A pass of the deployer ended after {@code elapsed}: {@code ok} when nothing failed, {@code changed} when it
     * executed steps (an activation: units started or stopped, routes switched).
     */
    public void reconciled(boolean ok, boolean changed, Duration elapsed) {
        reconciles.add(elapsed);
        if (changed) {
            activations.computeIfAbsent(ok ? "succeeded" : "failed", o -> new LongAdder()).increment();
        }
        if (ok) {
            lastGoodReconcile.set(Optional.of(clock.instant()));
        }
    }

    /** A co-resident deployer runs from now on: until its first good pass, the gauge counts from here. */
    void deployerStarted() {
        deployerStarted.compareAndSet(Optional.empty(), Optional.of(clock.instant()));
    }

    /** When the deployer last completed a pass without errors, or started, before its first; empty without one. */
    Optional<Instant> sinceGoodReconcile() {
        return lastGoodReconcile.get().or(deployerStarted::get);
    }

    /** The exposition: {@code # HELP}, {@code # TYPE}, then the samples, for each metric. */
    String render() {
        StringBuilder out = new StringBuilder();
        labelled(out, "ferry_builds_total", "counter", "Builds ended, by status.", "status", builds);
        head(out, "ferry_build_phase_seconds", "summary", "Time builds spent in each phase.");
        new TreeMap<>(phases).forEach((phase, sum) -> {
            sample(out, "ferry_build_phase_seconds_count{phase=\"" + phase + "\"}", sum.count.sum());
            seconds(out, "ferry_build_phase_seconds_sum{phase=\"" + phase + "\"}", sum.nanos.sum());
        });
        single(out, "ferry_published_paths_total", "counter", "Store paths published (narinfos written).",
                pathsPublished.sum());
        single(out, "ferry_published_bytes_total", "counter", "Bytes of NAR files written to the cache.",
                bytesPublished.sum());
        head(out, "ferry_narinfo_requests_total", "counter", "Narinfo requests, by whether the cache had it.");
        sample(out, "ferry_narinfo_requests_total{result=\"hit\"}", narinfoHits.sum());
        sample(out, "ferry_narinfo_requests_total{result=\"miss\"}", narinfoMisses.sum());
        single(out, "ferry_nar_served_bytes_total", "counter", "Bytes of NAR files served from /cache/nar/.",
                narBytesServed.sum());
        single(out, "ferry_generations_written_total", "counter", "Manifest generations written by this server.",
                generationsWritten.sum());
        labelled(out, "ferry_deployer_activations_total", "counter",
                "Deployer passes that changed units or routes, by outcome.", "outcome", activations);
        head(out, "ferry_deployer_reconcile_seconds", "summary", "Time deployer passes took.");
        sample(out, "ferry_deployer_reconcile_seconds_count", reconciles.count.sum());
        seconds(out, "ferry_deployer_reconcile_seconds_sum", reconciles.nanos.sum());
        // Before a first good pass, counted from the deployer's start: an alert on it also fires for a deployer that
        // never converged (a refused manifest after a restart, say).
        sinceGoodReconcile().ifPresent(last -> {
            head(out, "ferry_deployer_seconds_since_last_good_reconcile", "gauge",
                    "Seconds since the deployer last completed a pass without errors (or started, before one).");
            seconds(out, "ferry_deployer_seconds_since_last_good_reconcile",
                    Duration.between(last, clock.instant()).toNanos());
        });
        return out.toString();
    }

    private static void labelled(StringBuilder out, String name, String type, String help, String label,
                                 Map<String, LongAdder> values) {
        head(out, name, type, help);
        new TreeMap<>(values).forEach((value, n) -> sample(out, name + "{" + label + "=\"" + value + "\"}", n.sum()));
    }

    private static void single(StringBuilder out, String name, String type, String help, long value) {
        head(out, name, type, help);
        sample(out, name, value);
    }

    private static void head(StringBuilder out, String name, String type, String help) {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n');
        out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private static void sample(StringBuilder out, String name, long value) {
        out.append(name).append(' ').append(value).append('\n');
    }

    private static void seconds(StringBuilder out, String name, long nanos) {
        out.append(name).append(' ').append(nanos / 1e9).append('\n');
    }
}
