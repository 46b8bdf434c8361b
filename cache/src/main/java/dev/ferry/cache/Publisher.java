package dev.ferry.cache;

import dev.ferry.nix.NarInfo;
import dev.ferry.nix.SecretKey;
import dev.ferry.nix.StorePath;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Publishes closures from the local Nix store to a {@link BinaryCache}. Plan, then execute: the plan lists the
 * closure's paths whose narinfo the cache lacks; execution uploads their NARs in parallel, largest first, with at most
 * {@code jobs} at once, and writes each narinfo as soon as its NAR is stored and the narinfos of all its references
 * exist. A crash at any moment leaves a valid cache; publishing again finishes the job.
 */
public final class Publisher {
    /** Receives progress from worker threads. */
    public interface Listener {
        default void published(PathInfo path, BinaryCache.UploadedNar nar) {
        }

        default void failed(PathInfo path, Throwable error) {
        }

        /** {@code narBytes} more of some NAR were written (from the upload threads, in small steps: keep it cheap). */
        default void streamed(long narBytes) {
        }

        static Listener none() {
            return new Listener() {
            };
        }
    }

    /** What must be uploaded (largest first) and what the cache already has. */
    public record Plan(List<PathInfo> toUpload, List<PathInfo> present) {
        public long narBytes() {
            return toUpload.stream().mapToLong(p -> p.nar().narSize()).sum();
        }
    }

    public record Failure(StorePath path, String message) {
    }

    public record Summary(int published, int present, long narBytes, long fileBytes, Duration elapsed,
                          List<Failure> failures) {
        public boolean ok() {
            return failures.isEmpty();
        }
    }

    private final BinaryCache cache;
    private final LocalNixStore store;
    private final Compression compression;
    private final int jobs;

    public Publisher(BinaryCache cache, LocalNixStore store, Compression compression, int jobs) {
        if (jobs < 1) {
            throw new IllegalArgumentException("jobs must be at least 1");
        }
        this.cache = cache;
        this.store = store;
        this.compression = compression;
        this.jobs = jobs;
    }

    public Plan plan(Collection<StorePath> roots) {
        List<PathInfo> closure = store.closure(roots);
        List<Boolean> present;
        // Existence checks are I/O bound (HEAD requests on S3): run them on virtual threads, bounded.
        try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
            java.util.concurrent.Semaphore bound = new java.util.concurrent.Semaphore(32);
            List<CompletableFuture<Boolean>> checks = closure.stream().map(info -> CompletableFuture.supplyAsync(() -> {
                bound.acquireUninterruptibly();
                try {
                    return cache.hasNarInfo(info.path());
                } finally {
                    bound.release();
                }
            }, executor)).toList();
            present = checks.stream().map(CompletableFuture::join).toList();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
        List<PathInfo> toUpload = new ArrayList<>();
        List<PathInfo> already = new ArrayList<>();
        for (int i = 0; i < closure.size(); i++) {
            (present.get(i) ? already : toUpload).add(closure.get(i));
        }
        toUpload.sort(Comparator.comparingLong((PathInfo p) -> p.nar().narSize()).reversed()
                .thenComparing(PathInfo::path));
        return new Plan(List.copyOf(toUpload), List.copyOf(already));
    }

    /** Uploads what {@code plan} lists, signing each narinfo with {@code key}. */
    public Summary execute(Plan plan, SecretKey key, Listener listener) {
        long start = System.nanoTime();
        cache.ensureCacheInfo();
        AtomicLong narBytes = new AtomicLong();
        AtomicLong fileBytes = new AtomicLong();
        Map<StorePath, CompletableFuture<BinaryCache.UploadedNar>> nars = new HashMap<>();
        Map<StorePath, CompletableFuture<Void>> narInfos = new HashMap<>();
        Map<StorePath, PathInfo> planned = new HashMap<>();
        plan.toUpload().forEach(p -> planned.put(p.path(), p));

        try (ExecutorService uploads = Executors.newFixedThreadPool(jobs, Thread.ofPlatform().daemon().name("ferry-publish-", 0).factory());
             ExecutorService small = Executors.newVirtualThreadPerTaskExecutor()) {
            // Largest first: the pool takes tasks in submission order.
            for (PathInfo info : plan.toUpload()) {
                nars.put(info.path(), CompletableFuture.supplyAsync(() -> upload(info, listener), uploads));
            }
            for (PathInfo info : plan.toUpload()) {
                narInfoFuture(info, key, planned, nars, narInfos, small, listener, narBytes, fileBytes);
            }
            CompletableFuture.allOf(narInfos.values().toArray(CompletableFuture[]::new))
                    .exceptionally(e -> null).join();
        }
        List<Failure> failures = new ArrayList<>();
        for (PathInfo info : plan.toUpload()) {
            CompletableFuture<Void> done = narInfos.get(info.path());
            if (done.isCompletedExceptionally()) {
                Throwable error = rootCause(done);
                failures.add(new Failure(info.path(), error.getMessage() == null ? error.toString() : error.getMessage()));
            }
        }
        failures.sort(Comparator.comparing(Failure::path));
        return new Summary(plan.toUpload().size() - failures.size(), plan.present().size(), narBytes.get(),
                fileBytes.get(), Duration.ofNanos(System.nanoTime() - start), List.copyOf(failures));
    }

    public Summary publish(Collection<StorePath> roots, SecretKey key, Listener listener) {
        return execute(plan(roots), key, listener);
    }

    private BinaryCache.UploadedNar upload(PathInfo info, Listener listener) {
        return cache.uploadNar(Path.of(info.path().absolute()), info.nar(), compression, listener::streamed);
    }

    /** The future of {@code info}'s narinfo: after its NAR and the narinfos of its planned references. */
    private CompletableFuture<Void> narInfoFuture(PathInfo info, SecretKey key, Map<StorePath, PathInfo> planned,
                                                  Map<StorePath, CompletableFuture<BinaryCache.UploadedNar>> nars,
                                                  Map<StorePath, CompletableFuture<Void>> narInfos,
                                                  ExecutorService executor, Listener listener,
                                                  AtomicLong narBytes, AtomicLong fileBytes) {
        CompletableFuture<Void> existing = narInfos.get(info.path());
        if (existing != null) {
            return existing;
        }
        List<CompletableFuture<?>> prerequisites = new ArrayList<>();
        CompletableFuture<BinaryCache.UploadedNar> nar = nars.get(info.path());
        prerequisites.add(nar);
        for (StorePath reference : info.references()) {
            PathInfo referenced = planned.get(reference);
            if (referenced != null && !reference.equals(info.path())) {
                prerequisites.add(narInfoFuture(referenced, key, planned, nars, narInfos, executor, listener, narBytes,
                        fileBytes));
            }
        }
        CompletableFuture<Void> done = CompletableFuture.allOf(prerequisites.toArray(CompletableFuture[]::new))
                .thenRunAsync(() -> {
                    BinaryCache.UploadedNar uploaded = nar.join();
                    cache.putNarInfo(narInfo(info, uploaded, key));
                    narBytes.addAndGet(uploaded.nar().narSize());
                    fileBytes.addAndGet(uploaded.fileSize());
                    listener.published(info, uploaded);
                }, executor)
                .whenComplete((ignored, error) -> {
                    if (error != null) {
                        listener.failed(info, unwrap(error));
                    }
                });
        narInfos.put(info.path(), done);
        return done;
    }

    private static NarInfo narInfo(PathInfo info, BinaryCache.UploadedNar uploaded, SecretKey key) {
        NarInfo unsigned = new NarInfo(info.path(), uploaded.url(), uploaded.compression().nixName(),
                Optional.of(uploaded.fileHash()), OptionalLong.of(uploaded.fileSize()), uploaded.nar().narHash(),
                uploaded.nar().narSize(), info.references(), info.deriver(), Optional.empty(), new TreeSet<>(),
                info.ca());
        return unsigned.withSignature(key.sign(unsigned.fingerprint()));
    }

    private static Throwable rootCause(CompletableFuture<?> future) {
        try {
            future.join();
            throw new IllegalStateException("not failed");
        } catch (CompletionException e) {
            return unwrap(e);
        } catch (java.util.concurrent.CancellationException e) {
            return e;
        }
    }

    private static Throwable unwrap(Throwable error) {
        Throwable t = error;
        while ((t instanceof CompletionException || t instanceof java.util.concurrent.ExecutionException)
                && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }
}
