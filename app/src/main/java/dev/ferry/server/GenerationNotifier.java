package dev.ferry.server;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Tells whoever waits that a manifest generation was written in this process: the co-resident deployer (woken at
 * once) and the long-poll endpoint {@code GET /v1/manifest/wait}. Whatever writes generations in the server (the
 * build pipeline's release step, through the build queue) calls {@link #written}. Generations written by other
 * processes are still found: the long poll also re-reads the storage, and the deployer reconciles on its interval.
 */
public final class GenerationNotifier {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();

    public void written(long generation) {
        lock.lock();
        try {
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        listeners.forEach(Runnable::run);
    }

    public void onWritten(Runnable listener) {
        listeners.add(listener);
    }

    /** Waits until {@link #written} is called or {@code max} passes. */
    void await(Duration max) {
        lock.lock();
        try {
            changed.await(max.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            lock.unlock();
        }
    }
}
