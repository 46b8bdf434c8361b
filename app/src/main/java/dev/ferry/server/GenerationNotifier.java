package dev.ferry.server;

import dev.ferry.cache.ManifestStore;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Tells whoever waits that a manifest generation was written: the co-resident deployer (woken at once) and the
 * long-poll endpoint {@code GET /v1/manifest/wait}. Whatever writes generations in the server (the build pipeline's
 * release step, a rollback) calls {@link #written}. Generations written by other processes ({@code ferry manifest},
 * another server on the same storage) are found by one watcher ({@link #watch}) that reads the storage's newest
 * generation every {@value #WATCH_MILLIS} ms while anyone waits, however many do.
 */
public final class GenerationNotifier implements AutoCloseable {
    static final long WATCH_MILLIS = 250;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
    private final AtomicInteger waiting = new AtomicInteger();
    private long changes;
    private volatile Thread watcher;

    /** A generation was written ({@code generation} is for the log only: waiters read the newest themselves). */
    public void written(long generation) {
        lock.lock();
        try {
            changes++;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        listeners.forEach(Runnable::run);
    }

    public void onWritten(Runnable listener) {
        listeners.add(listener);
    }

    /** A count of {@link #written} calls: read it before looking at the storage, then {@link #awaitChange}. */
    long changes() {
        lock.lock();
        try {
            return changes;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits until {@link #written} was called since {@code seen} (at once if it already was) or {@code max} passes.
     * Reading {@link #changes} before the storage and waiting for a change from that count loses no generation
     * written in between.
     */
    void awaitChange(long seen, Duration max) {
        waiting.incrementAndGet();
        lock.lock();
        try {
            long left = max.toNanos();
            while (changes == seen && left > 0) {
                left = changed.awaitNanos(left);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            lock.unlock();
            waiting.decrementAndGet();
        }
    }

    /**
     * Starts the one watcher of {@code manifests}: while a long poll waits or a listener is registered, it reads the
     * newest generation every {@value #WATCH_MILLIS} ms and announces a higher one. Stopped by {@link #close}.
     */
    void watch(ManifestStore manifests) {
        watcher = Thread.ofVirtual().name("ferry-manifest-watch").start(() -> {
            long seen = -1; // unknown until the first look, which only sets it
            while (!Thread.currentThread().isInterrupted()) {
                if (seen < 0 || waiting.get() > 0 || !listeners.isEmpty()) {
                    try {
                        long top = manifests.top();
                        if (seen >= 0 && top > seen) {
                            written(top); // (after a pause with nobody waiting: a wake-up that finds nothing new)
                        }
                        seen = top;
                    } catch (RuntimeException e) {
                        // A storage hiccup: the next look catches up.
                    }
                }
                try {
                    TimeUnit.MILLISECONDS.sleep(WATCH_MILLIS);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
    }

    @Override
    public void close() {
        Thread w = watcher;
        if (w != null) {
            w.interrupt();
        }
    }
}
