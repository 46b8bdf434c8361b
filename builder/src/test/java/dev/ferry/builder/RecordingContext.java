package dev.ferry.builder;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A {@link BuildContext} that records phases (with their durations) and the log, and can refuse the release or run
 * something just before it.
 */
final class RecordingContext implements BuildContext {
    private final ByteArrayOutputStream log = new ByteArrayOutputStream();
    private final List<Phase> phases = new ArrayList<>();
    private final Map<Phase, Long> started = new LinkedHashMap<>();
    private final Map<Phase, Duration> durations = new LinkedHashMap<>();
    private volatile boolean refuseRelease;
    private volatile Runnable beforeRelease = () -> { };

    @Override
    public synchronized void enter(Phase phase) {
        long now = System.nanoTime();
        if (!phases.isEmpty()) {
            Phase last = phases.getLast();
            durations.put(last, Duration.ofNanos(now - started.get(last)));
        }
        phases.add(phase);
        started.put(phase, now);
    }

    @Override
    public OutputStream log() {
        return log;
    }

    @Override
    public boolean beginRelease() {
        beforeRelease.run();
        if (refuseRelease) {
            return false;
        }
        enter(Phase.RELEASE);
        return true;
    }

    RecordingContext refuseRelease() {
        refuseRelease = true;
        return this;
    }

    /** Runs {@code action} when the build asks to begin its release (something that happens meanwhile). */
    RecordingContext beforeRelease(Runnable action) {
        beforeRelease = action;
        return this;
    }

    /** Ends the last phase. */
    synchronized void finish() {
        if (!phases.isEmpty()) {
            Phase last = phases.getLast();
            durations.putIfAbsent(last, Duration.ofNanos(System.nanoTime() - started.get(last)));
        }
    }

    synchronized List<Phase> phases() {
        return List.copyOf(phases);
    }

    synchronized Map<Phase, Duration> durations() {
        return Map.copyOf(durations);
    }

    String logText() {
        synchronized (log) {
            return log.toString(StandardCharsets.UTF_8);
        }
    }
}
