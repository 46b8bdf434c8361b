package dev.ferry.builder;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

/**
 * The build queue: runs builds and teardowns (recorded in {@link BuildStore}) on their own threads, at most
 * {@code maxConcurrent} at a time and at most one per ref (project and branch or pull request), oldest first.
 *
 * <p><b>Superseding.</b> A newer build or teardown of a ref cancels the older ones of that ref: a queued one ends
 * {@code cancelled} at once; a running one has its thread interrupted (the process runner then kills the running
 * {@code nix} tree) and ends {@code cancelled}, unless it already passed {@link BuildContext#beginRelease()}, in
 * which case it completes and the newer one waits for it. A running teardown is never interrupted either.
 *
 * <p><b>Restarts.</b> {@link #start} first ends every build left {@code running} by the previous process as
 * {@code failed} ({@code interrupted}) and records it again once (attempt 2), then queues every queued build in
 * order. {@link #close()} interrupts running builds and leaves them {@code running} in the database, so the next
 * start treats them the same way.
 *
 * <p>Each build's log is {@code <logs-dir>/<id>.log}, written from the moment it starts.
 */
public final class BuildQueue implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(BuildQueue.class.getName());

    /** What {@link #cancel} did. */
    public enum CancelOutcome {
        /** It was queued or running and ends cancelled. */
        CANCELLED,
        /** It is writing its release (or is a running teardown): it completes. */
        RELEASING,
        /** It is not queued or running (finished, or unknown). */
        NOT_ACTIVE
    }

    private enum State { PENDING, RUNNING, RELEASING, CANCELLED, FINISHING }

    private final BuildStore store;
    private final BuildPipeline pipeline;
    private final Function<String, Optional<Project>> projects;
    private final int maxConcurrent;
    private final Path logsDir;
    private final Clock clock;
    private final Ended ended;

    /** Told of every build or teardown that ran, once its end is recorded (metrics, the server's log). */
    public interface Ended {
        void ended(BuildRecord record, BuildStatus status, Optional<String> error, OptionalLong generation);
    }

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final Deque<Job> pending = new ArrayDeque<>();
    private final Map<Long, Job> active = new HashMap<>();
    private final Set<String> runningRefs = new HashSet<>();
    /**
     * The newest build scheduled of each ref: an older one scheduled after it (two deliveries recorded together) is
     * moot, even once the newer one has ended. One entry per ref ever built, kept for the queue's life.
     */
    private final Map<String, Long> newest = new HashMap<>();
    /**
     * Ends the rows of builds superseded while queued, off the delivery's path: the queue's state is final at once,
     * the row follows within milliseconds (or, after a crash, is queued again at the next start and superseded again).
     */
    private final ExecutorService endings = Executors.newSingleThreadExecutor(
            Thread.ofVirtual().name("ferry-build-endings").factory());
    private final java.util.Queue<BuildStore.QueuedCancel> unwritten = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private int running;
    private boolean closed;

    private final class Job {
        final BuildRecord record;
        final List<BuildRecord.PhaseTiming> phases = new ArrayList<>();
        State state = State.PENDING;
        Thread thread;
        String cancelReason = "cancelled";
        boolean interruptedByShutdown;
        /** It took the place of a build of its ref: cancelled one queued or running, or one came after it. */
        volatile boolean supersededBuild;
        /** It took the place of a teardown of its ref, in the same ways. */
        volatile boolean supersededTeardown;

        Job(BuildRecord record) {
            this.record = record;
        }
    }

    private BuildQueue(BuildStore store, BuildPipeline pipeline, Function<String, Optional<Project>> projects,
                       int maxConcurrent, Path logsDir, Clock clock, Ended ended) {
        if (maxConcurrent < 1) {
            throw new IllegalArgumentException("maxConcurrent must be at least 1");
        }
        this.store = store;
        this.pipeline = pipeline;
        this.projects = projects;
        this.maxConcurrent = maxConcurrent;
        this.logsDir = logsDir;
        this.clock = clock;
        this.ended = ended;
    }

    /**
     * Recovers what a previous process left (see the class comment) and starts running queued builds.
     *
     * @param projects looks a project up by name when its build starts
     * @param logsDir  {@code <data-dir>/builds}
     */
    public static BuildQueue start(BuildStore store, BuildPipeline pipeline,
                                   Function<String, Optional<Project>> projects, int maxConcurrent, Path logsDir,
                                   Ended ended) {
        return start(store, pipeline, projects, maxConcurrent, logsDir, Clock.systemUTC(), ended);
    }

    public static BuildQueue start(BuildStore store, BuildPipeline pipeline,
                                   Function<String, Optional<Project>> projects, int maxConcurrent, Path logsDir) {
        return start(store, pipeline, projects, maxConcurrent, logsDir, Clock.systemUTC(), (r, s, e, g) -> { });
    }

    static BuildQueue start(BuildStore store, BuildPipeline pipeline, Function<String, Optional<Project>> projects,
                            int maxConcurrent, Path logsDir, Clock clock, Ended ended) {
        BuildQueue queue = new BuildQueue(store, pipeline, projects, maxConcurrent, logsDir, clock, ended);
        List<BuildRecord> retries = store.recoverInterrupted();
        for (BuildRecord retry : retries) {
            LOG.log(System.Logger.Level.WARNING, "build " + retry.retryOf().orElseThrow()
                    + " was interrupted by a restart; queued again as build " + retry.id());
        }
        for (BuildRecord queued : store.withStatus(BuildStatus.QUEUED)) {
            queue.schedule(queued);
        }
        return queue;
    }

    /** Records a build or teardown and queues it, cancelling older ones of the same ref. */
    public BuildRecord submit(BuildStore.NewBuild build) {
        BuildRecord record = store.insert(build);
        schedule(record);
        return record;
    }

    /**
     * Records and queues a build for a webhook delivery, unless the delivery id was seen before: then the earlier
     * build is returned and nothing is queued or cancelled.
     */
    public BuildStore.Recorded submitForDelivery(String forge, String event, String deliveryId,
                                                 BuildStore.NewBuild build) {
        BuildStore.Recorded recorded = store.insertForDelivery(forge, event, deliveryId, build);
        if (recorded.created()) {
            schedule(recorded.build());
        }
        return recorded;
    }

    /** Cancels a queued or running build (a running one unless it is releasing). */
    public CancelOutcome cancel(long id, String reason) {
        List<BuildStore.QueuedCancel> writes = new ArrayList<>();
        CancelOutcome outcome;
        lock.lock();
        try {
            Job job = active.get(id);
            outcome = job == null ? CancelOutcome.NOT_ACTIVE : cancel(job, reason, writes);
        } finally {
            lock.unlock();
        }
        // After the lock, as schedule() does; written before answering, so the API shows the build cancelled.
        if (!writes.isEmpty()) {
            store.cancelQueued(writes);
        }
        return outcome;
    }

    /** The log file of build {@code id} (it exists once the build started). */
    public Path logFile(long id) {
        return logsDir.resolve(id + ".log");
    }

    public BuildStore store() {
        return store;
    }

    void schedule(BuildRecord record) {
        List<BuildStore.QueuedCancel> writes = new ArrayList<>();
        lock.lock();
        try {
            if (closed) {
                return; // recorded as queued: the next start runs it
            }
            long newer = newest.merge(record.refKey(), record.id(), Math::max);
            if (newer != record.id()) {
                writes.add(new BuildStore.QueuedCancel(record, clock.instant(), "superseded by build " + newer));
                Job newerJob = active.get(newer);
                if (newerJob != null) { // recorded first, queued after it: it never ran
                    newerJob.supersededBuild |= record.action() == BuildRecord.Action.BUILD;
                    newerJob.supersededTeardown |= record.action() == BuildRecord.Action.TEARDOWN;
                }
                return;
            }
            Job job = new Job(record);
            for (Job older : List.copyOf(active.values())) {
                if (older.record.refKey().equals(record.refKey()) && older.record.id() < record.id()) {
                    // Only one this stops before it released counts: one releasing completes (a running teardown
                    // too: it is never interrupted), one cancelled already (by an operator, say) was not this
                    // job's doing.
                    boolean wasLive = older.state == State.PENDING || older.state == State.RUNNING;
                    boolean stopped = cancel(older, "superseded by build " + record.id(), writes)
                            == CancelOutcome.CANCELLED && wasLive;
                    job.supersededBuild |= stopped && older.record.action() == BuildRecord.Action.BUILD;
                    job.supersededTeardown |= stopped && older.record.action() == BuildRecord.Action.TEARDOWN;
                    // And what that one had taken the place of (two late deliveries after a branch's deletion).
                    job.supersededBuild |= stopped && older.supersededBuild;
                    job.supersededTeardown |= stopped && older.supersededTeardown;
                }
            }
            active.put(record.id(), job);
            pending.addLast(job);
            dispatch();
        } finally {
            lock.unlock();
            if (!writes.isEmpty()) {
                endLater(writes);
            }
        }
    }

    /** Hands the rows to the endings thread, which writes all those waiting in one statement. */
    private void endLater(List<BuildStore.QueuedCancel> rows) {
        unwritten.addAll(rows);
        try {
            endings.execute(() -> {
                List<BuildStore.QueuedCancel> batch = new ArrayList<>();
                for (BuildStore.QueuedCancel next; (next = unwritten.poll()) != null; ) {
                    batch.add(next);
                }
                if (batch.isEmpty()) {
                    return; // an earlier task wrote them
                }
                try {
                    store.cancelQueued(batch);
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.ERROR, "the end of " + batch.size() + " superseded builds cannot "
                            + "be recorded; they are queued again at the next start and superseded again", e);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // Closed meanwhile: the rows stay queued, and the next start queues them again behind the builds that
            // superseded them, which supersede them again.
        }
    }

    /** Under the lock; the row of a queued build it ends is added to {@code writes}. */
    private CancelOutcome cancel(Job job, String reason, List<BuildStore.QueuedCancel> writes) {
        switch (job.state) {
            case PENDING -> {
                pending.remove(job);
                active.remove(job.record.id());
                job.state = State.CANCELLED;
                writes.add(new BuildStore.QueuedCancel(job.record, clock.instant(), reason));
                changed.signalAll();
                return CancelOutcome.CANCELLED;
            }
            case RUNNING -> {
                if (job.record.action() == BuildRecord.Action.TEARDOWN) {
                    return CancelOutcome.RELEASING;
                }
                job.state = State.CANCELLED;
                job.cancelReason = reason;
                job.thread.interrupt();
                return CancelOutcome.CANCELLED;
            }
            case CANCELLED -> {
                return CancelOutcome.CANCELLED;
            }
            case RELEASING -> {
                return CancelOutcome.RELEASING;
            }
            default -> {
                return CancelOutcome.NOT_ACTIVE;
            }
        }
    }

    /** Under the lock: starts pending jobs while there is room, skipping refs that have one running. */
    private void dispatch() {
        Iterator<Job> it = pending.iterator();
        while (running < maxConcurrent && it.hasNext()) {
            Job job = it.next();
            if (runningRefs.contains(job.record.refKey())) {
                continue;
            }
            it.remove();
            job.state = State.RUNNING;
            runningRefs.add(job.record.refKey());
            running++;
            job.thread = Thread.ofVirtual().name("ferry-build-" + job.record.id()).unstarted(() -> run(job));
            job.thread.start();
        }
    }

    private void run(Job job) {
        BuildRecord record = job.record;
        Instant started = clock.instant();
        job.phases.add(new BuildRecord.PhaseTiming(Phase.QUEUED, record.createdAt(),
                Duration.between(record.createdAt(), started)));
        BuildStatus status = BuildStatus.FAILED;
        Map<String, String> outputs = Map.of();
        OptionalLong generation = OptionalLong.empty();
        Optional<String> error = Optional.empty();
        boolean leftRunning = false;
        Optional<BuildStore.NewBuild> followUp = Optional.empty();
        try (OutputStream log = openLog(record.id())) {
            store.markRunning(record.id(), started, job.phases, Phase.QUEUED);
            Context context = new Context(job, log);
            line(log, "ferry: " + describe(record));
            try {
                if (record.action() == BuildRecord.Action.TEARDOWN) {
                    // The deployment's row holds what a teardown needs: the project need not be configured any more.
                    context.enter(Phase.RELEASE);
                    TeardownRequest teardown = new TeardownRequest(record.project(), record.ref(),
                            projects.apply(record.project()), teardownCheck(record));
                    generation = pipeline.teardown(teardown);
                    line(log, generation.isPresent()
                            ? "ferry: removed deployment " + teardown.deployment() + ": generation "
                            + generation.getAsLong() + " no longer runs it"
                            : "ferry: nothing removed: no deployment " + teardown.deployment() + " of "
                            + record.ref().describe() + " runs in the manifest (none is recorded, another ref owns "
                            + "that name, or its entries were already gone; see the server log); no generation "
                            + "written");
                } else {
                    Project project = projects.apply(record.project()).orElseThrow(() -> new BuildFailedException(
                            "project " + record.project() + " is not configured any more"));
                    BuildResult result = pipeline.build(new BuildRequest(record.id(), project, record.ref(),
                            record.commit().orElseThrow(), check(record)), context);
                    outputs = result.outputs();
                    generation = result.generation();
                }
                status = BuildStatus.SUCCEEDED;
            } catch (StaleRequestException e) {
                status = BuildStatus.CANCELLED;
                error = Optional.of(e.getMessage());
                followUp = followUp(job, e.head());
                followUp.ifPresent(next -> line(log, next.action() == BuildRecord.Action.BUILD
                        ? "ferry: a build of " + next.commit().orElseThrow() + " follows: this one took the place of "
                        + "an older build of the branch"
                        : "ferry: a teardown of " + record.ref().describe() + " follows: this one took the place of "
                        + "a teardown of the branch, which is gone"));
            } catch (BuildFailedException e) {
                error = Optional.of(e.getMessage());
            } catch (RuntimeException e) {
                error = Optional.of("internal error (" + e.getClass().getSimpleName() + "); see the build log");
                StringWriter trace = new StringWriter();
                e.printStackTrace(new PrintWriter(trace));
                line(log, trace.toString());
                LOG.log(System.Logger.Level.ERROR, "build " + record.id() + " failed", e);
            }
            settle(job);
            boolean skip = job.interruptedByShutdown && status != BuildStatus.SUCCEEDED;
            if (job.state == State.CANCELLED) {
                status = BuildStatus.CANCELLED;
                error = Optional.of(job.cancelReason);
                outputs = Map.of();
            }
            if (skip) {
                line(log, "ferry: stopped by the server shutting down; it runs again at the next start");
                leftRunning = true;
                return;
            }
            line(log, "ferry: " + status.id() + error.map(e -> ": " + e).orElse(""));
        } catch (IOException | UncheckedIOException e) {
            error = Optional.of("cannot write the build log: " + e.getMessage());
            settle(job);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "build " + record.id() + " could not be run", e);
            error = Optional.of("internal error (" + e.getClass().getSimpleName() + ")");
            settle(job);
        } finally {
            try {
                if (!leftRunning) {
                    BuildStatus end = job.state == State.CANCELLED ? BuildStatus.CANCELLED : status;
                    Optional<String> why = job.state == State.CANCELLED ? Optional.of(job.cancelReason) : error;
                    store.finish(record.id(), end, BuildStore.closePhases(job.phases, clock.instant()), outputs,
                            generation, why);
                    ended.ended(record, end, why, generation);
                    // A delivery that came late (or was sent again) took the place of a build of its branch, then
                    // found itself stale: the head is built, so that the branch does not stay undeployed until its
                    // next push. Queued before this job is released, so the queue is never idle in between; it
                    // starts once this one is (one job per ref), and supersedes nothing (this one is finishing).
                    // Unless a job of the ref came since the check: that one decides.
                    followUp.filter(next -> isNewestOfItsRef(record)).ifPresent(this::submit);
                }
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "build " + record.id() + ": its end cannot be recorded", e);
            } finally {
                release(job);
            }
        }
    }

    /**
     * What must follow a job that took the place of another of its ref and then found itself stale, so that its
     * ref ends as the remote says: the head built (the branch exists at {@code head}), or the branch torn down (it is
     * gone). Nothing if it took no such place, or if a job of its ref came after it (that one decides).
     */
    private Optional<BuildStore.NewBuild> followUp(Job job, Optional<String> head) {
        BuildRecord record = job.record;
        if (!isNewestOfItsRef(record)) {
            return Optional.empty();
        }
        if (head.isPresent()) {
            return head.filter(h -> job.supersededBuild).map(h -> BuildStore.NewBuild.build(record.project(),
                    record.ref(), h, BuildRecord.Trigger.WEBHOOK));
        }
        return job.supersededTeardown && record.action() == BuildRecord.Action.BUILD
                ? Optional.of(BuildStore.NewBuild.teardown(record.project(), record.ref(), BuildRecord.Trigger.WEBHOOK))
                : Optional.empty();
    }

    /** Whether no build or teardown of {@code record}'s ref came after it. */
    private boolean isNewestOfItsRef(BuildRecord record) {
        lock.lock();
        try {
            return newest.getOrDefault(record.refKey(), record.id()) == record.id();
        } finally {
            lock.unlock();
        }
    }

    /**
     * A webhook's push (or the retry of one) must still be its branch's head when it is fetched; a build through the
     * API, and a pull request's, builds the commit as given.
     */
    private BuildRequest.CommitCheck check(BuildRecord record) {
        return webhookBranch(record) ? BuildRequest.CommitCheck.BRANCH_HEAD : BuildRequest.CommitCheck.AS_GIVEN;
    }

    /**
     * A webhook's branch deletion (or the retry of one) tears down only a branch gone from the remote; a teardown
     * through the API (an operator's explicit request, not a replay), and a closed pull request's, as asked.
     */
    private TeardownRequest.RefCheck teardownCheck(BuildRecord record) {
        return webhookBranch(record) ? TeardownRequest.RefCheck.BRANCH_GONE : TeardownRequest.RefCheck.AS_ASKED;
    }

    /** A branch's build or teardown that a webhook asked for (or the retry of one): its claim is checked. */
    private boolean webhookBranch(BuildRecord record) {
        return record.ref() instanceof BuildRef.Branch && asked(record) != BuildRecord.Trigger.API;
    }

    /** Who asked: the trigger, or for a retry the trigger of the build it repeats (a webhook, if that is gone). */
    private BuildRecord.Trigger asked(BuildRecord record) {
        if (record.trigger() != BuildRecord.Trigger.RETRY) {
            return record.trigger();
        }
        // A retry repeats the build it names; one whose original is gone is checked, to be safe.
        return record.retryOf().stream().mapToObj(store::find).flatMap(Optional::stream)
                .map(BuildRecord::trigger).findFirst().orElse(BuildRecord.Trigger.WEBHOOK);
    }

    /**
     * Ends the job's interruptible time: no cancel interrupts it from here, and its interrupt status is cleared so
     * the database writes that follow work.
     */
    private void settle(Job job) {
        lock.lock();
        try {
            if (job.state != State.CANCELLED) {
                job.state = State.FINISHING;
            }
            Thread.interrupted();
        } finally {
            lock.unlock();
        }
    }

    private void release(Job job) {
        lock.lock();
        try {
            active.remove(job.record.id());
            runningRefs.remove(job.record.refKey());
            running--;
            changed.signalAll();
            if (!closed) {
                dispatch();
            }
        } finally {
            lock.unlock();
        }
    }

    private final class Context implements BuildContext {
        private final Job job;
        private final OutputStream log;

        Context(Job job, OutputStream log) {
            this.job = job;
            this.log = new UnclosableOutputStream(log);
        }

        @Override
        public void enter(Phase phase) {
            Instant now = clock.instant();
            List<BuildRecord.PhaseTiming> snapshot;
            lock.lock();
            try {
                List<BuildRecord.PhaseTiming> closed = BuildStore.closePhases(job.phases, now);
                job.phases.clear();
                job.phases.addAll(closed);
                job.phases.add(new BuildRecord.PhaseTiming(phase, now, Duration.ZERO));
                snapshot = List.copyOf(job.phases);
            } finally {
                lock.unlock();
            }
            if (!Thread.currentThread().isInterrupted()) {
                try {
                    store.updatePhases(job.record.id(), phase, snapshot);
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.WARNING, "build " + job.record.id() + ": phase not recorded", e);
                }
            }
        }

        @Override
        public OutputStream log() {
            return log;
        }

        @Override
        public boolean beginRelease() {
            lock.lock();
            try {
                if (job.state != State.RUNNING || Thread.currentThread().isInterrupted()) {
                    return false;
                }
                job.state = State.RELEASING;
            } finally {
                lock.unlock();
            }
            enter(Phase.RELEASE);
            return true;
        }
    }

    private OutputStream openLog(long id) throws IOException {
        Files.createDirectories(logsDir);
        return Files.newOutputStream(logFile(id));
    }

    private static void line(OutputStream log, String text) {
        try {
            log.write((text.endsWith("\n") ? text : text + "\n").getBytes(StandardCharsets.UTF_8));
            log.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("writing the build log", e);
        }
    }

    private static String describe(BuildRecord record) {
        String ref = record.ref().describe();
        return (record.action() == BuildRecord.Action.TEARDOWN ? "teardown " : "build ") + record.id() + " of "
                + record.project() + " " + ref + record.commit().map(c -> " at " + c).orElse("")
                + (record.attempt() > 1 ? " (attempt " + record.attempt() + ")" : "");
    }

    /** Waits until nothing is queued or running and every row is written (tests). */
    boolean awaitIdle(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        lock.lock();
        try {
            while (!active.isEmpty()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                changed.awaitNanos(left);
            }
        } finally {
            lock.unlock();
        }
        try {
            endings.submit(() -> { }).get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            return true;
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            return false;
        }
    }

    /** Whether {@link #close()} was called: nothing more runs in this process. */
    public boolean isClosed() {
        lock.lock();
        try {
            return closed;
        } finally {
            lock.unlock();
        }
    }

    /** Whether build {@code id} is queued or running in this queue. */
    public boolean isActive(long id) {
        lock.lock();
        try {
            return active.containsKey(id);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Stops starting builds and interrupts the running ones, waiting up to 10 seconds for them; their rows stay
     * {@code running} (or queued) for the next start.
     */
    @Override
    public void close() {
        List<Thread> threads = new ArrayList<>();
        lock.lock();
        try {
            closed = true;
            pending.clear();
            for (Job job : active.values()) {
                if (job.thread != null && job.state == State.RUNNING) {
                    job.interruptedByShutdown = true; // unless it succeeds anyway, its row stays running
                    job.thread.interrupt();
                }
                if (job.thread != null) {
                    threads.add(job.thread);
                }
            }
        } finally {
            lock.unlock();
        }
        endings.close(); // the rows of superseded builds are written before the database closes
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        for (Thread thread : threads) {
            try {
                thread.join(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** The log stream handed to the pipeline: the queue closes the file, not the pipeline. */
    private static final class UnclosableOutputStream extends OutputStream {
        private final OutputStream out;

        UnclosableOutputStream(OutputStream out) {
            this.out = out;
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void flush() throws IOException {
            out.flush();
        }

        @Override
        public void close() throws IOException {
            out.flush();
        }
    }
}
