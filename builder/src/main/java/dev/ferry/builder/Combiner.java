package dev.ferry.builder;

import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

/**
 * Flat combining: concurrent callers hand in items, and whichever caller finds no batch running runs every waiting
 * item as one batch, while the others wait for their own result rather than for a lock. Under a burst, N callers cost
 * one batch instead of N turns at a lock (each turn a park, a wake-up and a trip to the back of the scheduler's queue);
 * alone, a caller runs a batch of one at once. Before running a batch, its runner yields once, so that the callers of
 * a burst that are ready to run join it.
 *
 * <p>If a batch of several items throws, each item is run again as a batch of its own, so a bad item fails only its
 * caller: the batch function must therefore be all-or-nothing (one statement, or one transaction).
 *
 * @param <I> what callers hand in
 * @param <O> what each gets back
 */
final class Combiner<I, O> {
    private final Function<List<I>, List<O>> batch;
    private final int maxBatch;
    private final Queue<Slot<I, O>> waiting = new ConcurrentLinkedQueue<>();
    private final ReentrantLock running = new ReentrantLock();

    /**
     * @param batch    runs a batch: one result per item, in order
     * @param maxBatch the most items in one batch
     */
    Combiner(Function<List<I>, List<O>> batch, int maxBatch) {
        if (maxBatch < 1) {
            throw new IllegalArgumentException("maxBatch must be at least 1");
        }
        this.batch = batch;
        this.maxBatch = maxBatch;
    }

    private record Slot<I, O>(I item, CompletableFuture<O> result) {
    }

    /** Runs {@code item} in a batch (perhaps one this call runs) and returns its result, or throws its failure. */
    O submit(I item) {
        Slot<I, O> slot = new Slot<>(item, new CompletableFuture<>());
        waiting.add(slot);
        while (true) {
            if (running.tryLock()) {
                try {
                    // Let the other runnable threads (a burst's other requests) queue their items first: under a
                    // burst the batch grows, alone the yield returns at once.
                    Thread.yield();
                    drain();
                } finally {
                    running.unlock();
                }
                // An item queued after the last poll but before the unlock found the lock taken: its caller waits on
                // its result, so whoever unlocks looks once more.
                if (waiting.isEmpty()) {
                    break;
                }
            } else {
                break; // the caller holding the lock runs this item, or the one after it does
            }
        }
        try {
            return slot.result().join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof Error error) {
                throw error;
            }
            throw e.getCause() instanceof RuntimeException runtime ? runtime : e;
        }
    }

    /** Under the lock, with the caller's interrupt status set aside: it must not fail other callers' items. */
    private void drain() {
        boolean interrupted = Thread.interrupted();
        try {
            List<Slot<I, O>> slots = new ArrayList<>();
            while (true) {
                slots.clear();
                for (Slot<I, O> next; slots.size() < maxBatch && (next = waiting.poll()) != null; ) {
                    slots.add(next);
                }
                if (slots.isEmpty()) {
                    return;
                }
                if (!run(slots)) {
                    for (Slot<I, O> slot : slots) {
                        run(List.of(slot));
                    }
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** True when every slot is completed; false, with none completed, when a batch of several failed. */
    private boolean run(List<Slot<I, O>> slots) {
        List<O> results;
        try {
            results = batch.apply(slots.stream().map(Slot::item).toList());
            if (results.size() != slots.size()) {
                throw new IllegalStateException("a batch of " + slots.size() + " gave " + results.size() + " results");
            }
        } catch (RuntimeException | Error e) {
            if (slots.size() > 1) {
                return false;
            }
            slots.getFirst().result().completeExceptionally(e);
            return true;
        }
        for (int i = 0; i < slots.size(); i++) {
            slots.get(i).result().complete(results.get(i));
        }
        return true;
    }
}
