package dev.ferry.builder;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A pipeline that goes through the phases, sleeping {@code buildMillis} in BUILD (interruptibly, as a killed nix
 * would end) and {@code releaseMillis} in RELEASE (never interrupted, as a manifest write); commits starting with
 * {@code bad} fail. A build of a commit in {@code staleTo} finds its branch at another commit (at once, without
 * holding), and with {@code stillAt} set a teardown finds the branch still there.
 */
class FakePipeline implements BuildPipeline {
    final long buildMillis;
    final long releaseMillis;
    final List<String> released = new CopyOnWriteArrayList<>();
    final List<String> tornDown = new CopyOnWriteArrayList<>();
    final List<TeardownRequest> teardowns = new CopyOnWriteArrayList<>();
    final AtomicLong generation = new AtomicLong();
    volatile CountDownLatch started = new CountDownLatch(1);
    volatile CountDownLatch hold = new CountDownLatch(0);
    /** Commit to the branch head a build of it finds instead: that build is stale. */
    final Map<String, String> staleTo = new ConcurrentHashMap<>();
    /** When not empty, the commit a branch that a teardown wants gone is still at. */
    volatile String stillAt = "";

    FakePipeline(long buildMillis, long releaseMillis) {
        this.buildMillis = buildMillis;
        this.releaseMillis = releaseMillis;
    }

    @Override
    public BuildResult build(BuildRequest request, BuildContext context) {
        started.countDown();
        context.enter(Phase.FETCH);
        write(context, "fetching " + request.commit());
        String head = staleTo.get(request.commit());
        if (head != null) {
            throw new StaleRequestException("not built: the branch is at " + head + " now", head);
        }
        context.enter(Phase.EVAL);
        context.enter(Phase.BUILD);
        write(context, "building " + request.commit());
        try {
            hold.await();
            Thread.sleep(buildMillis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BuildFailedException("nix build was killed");
        }
        if (request.commit().startsWith("bad")) {
            write(context, "error: builder for '/nix/store/...-web.drv' failed with exit code 1");
            throw new BuildFailedException("nix build failed: builder for web failed with exit code 1");
        }
        context.enter(Phase.PUBLISH);
        if (!context.beginRelease()) {
            throw new BuildFailedException("cancelled before release");
        }
        long deadline = System.currentTimeMillis() + releaseMillis;
        while (System.currentTimeMillis() < deadline) {
            Thread.onSpinWait(); // not interruptible, like a release being written
        }
        released.add(request.commit());
        return new BuildResult(Map.of("web", "/nix/store/" + request.commit().substring(0, 8) + "-web"),
                OptionalLong.of(generation.incrementAndGet()));
    }

    /** Teardowns find no deployment of their ref: nothing is written. */
    volatile boolean nothingDeployed;

    @Override
    public OptionalLong teardown(TeardownRequest request) {
        if (!stillAt.isEmpty()) {
            throw new StaleRequestException("not torn down: the branch still exists at " + stillAt, stillAt);
        }
        teardowns.add(request);
        if (nothingDeployed) {
            return OptionalLong.empty();
        }
        tornDown.add(request.deployment());
        return OptionalLong.of(generation.incrementAndGet());
    }

    private static void write(BuildContext context, String line) {
        try {
            context.log().write((line + "\n").getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
