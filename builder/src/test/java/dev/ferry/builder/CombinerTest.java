package dev.ferry.builder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class CombinerTest {
    @Test
    void callersArrivingDuringABatchAreRunTogetherInTheNextAndEachGetsItsOwnResult() throws Exception {
        CountDownLatch firstRunning = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        List<List<Integer>> batches = Collections.synchronizedList(new ArrayList<>());
        Combiner<Integer, String> combiner = new Combiner<>(items -> {
            batches.add(items);
            if (items.contains(0)) {
                firstRunning.countDown();
                await(release);
            }
            return items.stream().map(i -> "r" + i).toList();
        }, 16);
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<String> first = pool.submit(() -> combiner.submit(0));
            firstRunning.await();
            List<Future<String>> others = new ArrayList<>();
            for (int i = 1; i <= 40; i++) {
                int n = i;
                others.add(pool.submit(() -> combiner.submit(n)));
            }
            Thread.sleep(100); // all 40 queued behind the first batch
            release.countDown();
            assertThat(first.get()).isEqualTo("r0");
            for (int i = 0; i < 40; i++) {
                assertThat(others.get(i).get()).isEqualTo("r" + (i + 1));
            }
        }
        assertThat(batches).hasSize(4); // [0], then 40 in batches of at most 16
        assertThat(batches.subList(1, 4)).extracting(List::size).containsExactly(16, 16, 8);
    }

    @Test
    void aFailingItemFailsOnlyItsCaller() throws Exception {
        CountDownLatch firstRunning = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Combiner<Integer, Integer> combiner = new Combiner<>(items -> {
            if (items.contains(0)) {
                firstRunning.countDown();
                await(release);
            }
            if (items.contains(13)) {
                throw new IllegalArgumentException("13 refused");
            }
            return items.stream().map(i -> i * 2).toList();
        }, 64);
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            pool.submit(() -> combiner.submit(0));
            firstRunning.await();
            List<Future<Integer>> others = new ArrayList<>();
            for (int i = 1; i <= 20; i++) {
                int n = i;
                others.add(pool.submit(() -> combiner.submit(n)));
            }
            Thread.sleep(100);
            release.countDown();
            for (int i = 1; i <= 20; i++) {
                Future<Integer> f = others.get(i - 1);
                if (i == 13) {
                    assertThatThrownBy(f::get).hasRootCauseMessage("13 refused")
                            .hasCauseInstanceOf(IllegalArgumentException.class);
                } else {
                    assertThat(f.get()).isEqualTo(i * 2);
                }
            }
        }
    }

    @Test
    void manyConcurrentCallersAllComplete() throws Exception {
        Combiner<Integer, Integer> combiner = new Combiner<>(items -> items.stream().map(i -> i + 1).toList(), 8);
        try (ExecutorService pool = Executors.newFixedThreadPool(8)) {
            List<Future<Integer>> futures = new ArrayList<>();
            for (int i = 0; i < 20_000; i++) {
                int n = i;
                futures.add(pool.submit(() -> combiner.submit(n)));
            }
            for (int i = 0; i < futures.size(); i++) {
                assertThat(futures.get(i).get(10, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(i + 1);
            }
        }
    }

    @Test
    void anInterruptedCallerKeepsItsStatusAndItsItemStillRuns() {
        Combiner<Integer, Boolean> combiner = new Combiner<>(
                items -> items.stream().map(i -> !Thread.currentThread().isInterrupted()).toList(), 8);
        Thread.currentThread().interrupt();
        try {
            assertThat(combiner.submit(1)).as("the batch runs with the interrupt set aside").isTrue();
            assertThat(Thread.currentThread().isInterrupted()).isTrue();
        } finally {
            Thread.interrupted();
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }
}
