package dev.ferry.builder;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BuildQueueTest {
    static final Project SHOP = new Project("shop", "https://git.example/alice/shop.git", "main");
    static final BuildRef MAIN = new BuildRef.Branch("main");

    @TempDir
    Path dir;
    Database db;
    BuildStore store;
    BuildQueue queue;

    static String commit(int i) {
        return String.format("%040x", i);
    }

    private BuildQueue start(BuildPipeline pipeline, int maxConcurrent) {
        if (db == null) {
            db = Database.open(dir.resolve(Database.FILE_NAME));
            db.migrate();
            store = BuildStore.create(db);
        }
        queue = BuildQueue.start(store, pipeline, name -> name.equals("shop") ? Optional.of(SHOP) : Optional.empty(),
                maxConcurrent, dir.resolve("builds"));
        return queue;
    }

    @AfterEach
    void close() {
        if (queue != null) {
            queue.close();
        }
        if (db != null) {
            db.close();
        }
    }

    /** A queue of one running {@code pipeline} with a build of main started in it (and holding it, if it holds). */
    private BuildRecord runningOnMain(FakePipeline pipeline) throws InterruptedException {
        start(pipeline, 1);
        BuildRecord build = submit(MAIN, commit(1));
        assertThat(pipeline.started.await(10, TimeUnit.SECONDS)).isTrue();
        return build;
    }

    private BuildRecord submit(BuildRef ref, String commit) {
        return queue.submit(BuildStore.NewBuild.build("shop", ref, commit, BuildRecord.Trigger.API));
    }

    /** A build of main at {@code commit}, as a push's webhook delivery records it. */
    private BuildRecord webhook(String commit) {
        return queue.submit(BuildStore.NewBuild.build("shop", MAIN, commit, BuildRecord.Trigger.WEBHOOK));
    }

    private BuildRecord get(long id) {
        return store.find(id).orElseThrow();
    }

    @Test
    void aBuildSucceedsWithItsPhasesOutputsLogAndGeneration() throws Exception {
        FakePipeline pipeline = new FakePipeline(10, 0);
        start(pipeline, 2);
        BuildRecord build = submit(MAIN, commit(1));
        assertThat(queue.awaitIdle(Duration.ofSeconds(10))).isTrue();
        BuildRecord done = get(build.id());
        assertThat(done.status()).isEqualTo(BuildStatus.SUCCEEDED);
        assertThat(done.outputs()).containsEntry("web", "/nix/store/00000000-web");
        assertThat(done.generation()).hasValue(1);
        assertThat(done.error()).isEmpty();
        assertThat(done.phases()).extracting(BuildRecord.PhaseTiming::phase)
                .containsExactly(Phase.QUEUED, Phase.FETCH, Phase.EVAL, Phase.BUILD, Phase.PUBLISH, Phase.RELEASE);
        BuildRecord.PhaseTiming buildPhase = done.phases().get(3);
        assertThat(buildPhase.duration()).isGreaterThanOrEqualTo(Duration.ofMillis(10));
        assertThat(done.startedAt()).isPresent();
        assertThat(done.finishedAt()).isPresent();
        String log = Files.readString(queue.logFile(build.id()));
        assertThat(log).contains("build " + build.id() + " of shop branch main at " + commit(1))
                .contains("building " + commit(1)).endsWith("ferry: succeeded\n");
    }

    @Test
    void aFailedBuildKeepsTheMessageAndTheLog() throws Exception {
        start(new FakePipeline(0, 0), 2);
        BuildRecord build = submit(MAIN, "bad" + commit(1).substring(3));
        assertThat(queue.awaitIdle(Duration.ofSeconds(10))).isTrue();
        BuildRecord done = get(build.id());
        assertThat(done.status()).isEqualTo(BuildStatus.FAILED);
        assertThat(done.error()).hasValueSatisfying(e -> assertThat(e).contains("exit code 1"));
        assertThat(done.phase()).contains(Phase.BUILD);
        assertThat(Files.readString(queue.logFile(build.id()))).contains("error: builder for");
    }

    @Test
    void anUnexpectedExceptionFailsTheBuildWithoutLeakingItsMessage() throws Exception {
        start(new BuildPipeline() {
            @Override
            public BuildResult build(BuildRequest request, BuildContext context) {
                throw new IllegalStateException("/secret/path/key");
            }

            @Override
            public java.util.OptionalLong teardown(TeardownRequest request) {
                return java.util.OptionalLong.empty();
            }
        }, 1);
        BuildRecord build = submit(MAIN, commit(1));
        assertThat(queue.awaitIdle(Duration.ofSeconds(10))).isTrue();
        assertThat(get(build.id()).error()).hasValue("internal error (IllegalStateException); see the build log");
        assertThat(Files.readString(queue.logFile(build.id()))).contains("/secret/path/key");
    }

    @Test
    void aWebhookPushMustBeItsBranchsHeadWhileAnApiBuildOrAPullRequestBuildsAsGiven() throws Exception {
        Map<String, BuildRequest.CommitCheck> checks = new java.util.concurrent.ConcurrentHashMap<>();
        start(new BuildPipeline() {
            @Override
            public BuildResult build(BuildRequest request, BuildContext context) {
                checks.put(request.commit(), request.check());
                return new BuildResult(Map.of(), java.util.OptionalLong.empty());
            }

            @Override
            public java.util.OptionalLong teardown(TeardownRequest request) {
                return java.util.OptionalLong.empty();
            }
        }, 4);
        BuildRecord webhook = queue.submit(BuildStore.NewBuild.build("shop", new BuildRef.Branch("a"), commit(1),
                BuildRecord.Trigger.WEBHOOK));
        BuildRecord api = queue.submit(BuildStore.NewBuild.build("shop", new BuildRef.Branch("b"), commit(2),
                BuildRecord.Trigger.API));
        queue.submit(BuildStore.NewBuild.build("shop", new BuildRef.PullRequest(3, "c"), commit(3),
                BuildRecord.Trigger.WEBHOOK));
        assertThat(queue.awaitIdle(Duration.ofSeconds(10))).isTrue();
        // Retries (after a restart) check as the builds they repeat did.
        queue.submit(new BuildStore.NewBuild("shop", BuildRecord.Action.BUILD, new BuildRef.Branch("a"),
                Optional.of(commit(4)), BuildRecord.Trigger.RETRY, Optional.empty(), 2,
                java.util.OptionalLong.of(webhook.id())));
        queue.submit(new BuildStore.NewBuild("shop", BuildRecord.Action.BUILD, new BuildRef.Branch("b"),
                Optional.of(commit(5)), BuildRecord.Trigger.RETRY, Optional.empty(), 2,
                java.util.OptionalLong.of(api.id())));
        assertThat(queue.awaitIdle(Duration.ofSeconds(10))).isTrue();

        assertThat(checks).containsExactlyInAnyOrderEntriesOf(Map.of(
                commit(1), BuildRequest.CommitCheck.BRANCH_HEAD,
                commit(2), BuildRequest.CommitCheck.AS_GIVEN,
                commit(3), BuildRequest.CommitCheck.AS_GIVEN,
                commit(4), BuildRequest.CommitCheck.BRANCH_HEAD,
                commit(5), BuildRequest.CommitCheck.AS_GIVEN));
    }

    @Test
    void aStaleBuildOrTeardownEndsCancelledSayingWhy() throws Exception {
        start(new BuildPipeline() {
            @Override
            public BuildResult build(BuildRequest request, BuildContext context) {
                context.enter(Phase.FETCH);
                throw new StaleRequestException("not built: branch main is at 00000002 now, not at 00000001 (a "
                        + "newer push, or an old delivery sent again)");
            }

            @Override
            public java.util.OptionalLong teardown(TeardownRequest request) {
                throw new StaleRequestException("not torn down: branch old still exists at 00000003");
            }
        }, 1);
        BuildRecord build = queue.submit(BuildStore.NewBuild.build("shop", MAIN, commit(1),
                BuildRecord.Trigger.WEBHOOK));
        BuildRecord teardown = queue.submit(BuildStore.NewBuild.teardown("shop", new BuildRef.Branch("old"),
                BuildRecord.Trigger.WEBHOOK));
        assertThat(queue.awaitIdle(Duration.ofSeconds(10))).isTrue();

        BuildRecord notBuilt = get(build.id());
        assertThat(notBuilt.status()).isEqualTo(BuildStatus.CANCELLED);
        assertThat(notBuilt.error()).hasValue("not built: branch main is at 00000002 now, not at 00000001 (a newer "
                + "push, or an old delivery sent again)");
        assertThat(notBuilt.phase()).contains(Phase.FETCH);
        assertThat(notBuilt.outputs()).isEmpty();
        assertThat(notBuilt.generation()).isEmpty();
        assertThat(Files.readString(queue.logFile(build.id())))
                .endsWith("ferry: cancelled: not built: branch main is at 00000002 now, not at 00000001 (a newer "
                        + "push, or an old delivery sent again)\n");
        BuildRecord notTornDown = get(teardown.id());
        assertThat(notTornDown.status()).isEqualTo(BuildStatus.CANCELLED);
        assertThat(notTornDown.error()).hasValue("not torn down: branch old still exists at 00000003");
    }

    /**
     * Push A, then push B; B's delivery comes first, A's after it (late, or sent again). A's build supersedes B's,
     * which was building the branch's head, then finds itself stale: the head is built after all.
     */
    @Test
    void aLateDeliveryThatSupersededTheHeadsBuildGetsTheHeadBuilt() throws Exception {
        FakePipeline pipeline = new FakePipeline(0, 0);
        pipeline.hold = new CountDownLatch(1); // the head's first build, until the late one supersedes it
        pipeline.staleTo.put(commit(1), commit(2));
        start(pipeline, 1);
        BuildRecord head = webhook(commit(2));
        assertThat(pipeline.started.await(10, TimeUnit.SECONDS)).isTrue();
        BuildRecord late = webhook(commit(1)); // interrupts the head's build
        pipeline.hold.countDown();
        assertThat(queue.awaitIdle(Duration.ofSeconds(10))).isTrue();

        assertThat(get(head.id()).status()).isEqualTo(BuildStatus.CANCELLED);
        assertThat(get(late.id()).status()).isEqualTo(BuildStatus.CANCELLED);
        assertThat(Files.readString(queue.logFile(late.id()))).contains("ferry: a build of " + commit(2) + " follows");
        BuildRecord again = store.list(Optional.of("shop"), Optional.of("main"), 10).getFirst();
        assertThat(again.id()).isGreaterThan(late.id());
        assertThat(again.commit()).contains(commit(2));
        assertThat(again.status()).isEqualTo(BuildStatus.SUCCEEDED);
        assertThat(pipeline.released).containsExactly(commit(2));
    }

    /**
     * Branch s2 deleted, its teardown queued behind another build; then an old push of s2 arrives (late, or sent
     * again). Its build takes the teardown's place, then finds the branch gone: the teardown follows after all, so
     * the deleted branch does not stay deployed.
     */
    @Test
    void aLateDeliveryThatSupersededATeardownGetsTheTeardownAfterAll() throws Exception {
        CountDownLatch slotTaken = new CountDownLatch(1);
        CountDownLatch slotFree = new CountDownLatch(1);
        java.util.List<String> tornDown = new java.util.concurrent.CopyOnWriteArrayList<>();
        start(new BuildPipeline() {
            @Override
            public BuildResult build(BuildRequest request, BuildContext context) {
                if (request.ref().equals(MAIN)) {
                    slotTaken.countDown();
                    try {
                        slotFree.await();
                    } catch (InterruptedException e) {
                        throw new BuildFailedException("cancelled", e);
                    }
                    return new BuildResult(Map.of(), java.util.OptionalLong.empty());
                }
                context.enter(Phase.FETCH);
                throw new StaleRequestException("not built: branch s2 does not exist any more");
            }

            @Override
            public java.util.OptionalLong teardown(TeardownRequest request) {
                tornDown.add(request.ref().describe());
                return java.util.OptionalLong.of(7);
            }
        }, 1);
        BuildRef s2 = new BuildRef.Branch("s2");
        webhook(commit(1));
        assertThat(slotTaken.await(10, TimeUnit.SECONDS)).isTrue();
        BuildRecord teardown = queue.submit(BuildStore.NewBuild.teardown("shop", s2, BuildRecord.Trigger.WEBHOOK));
        // The old push, sent twice: the second takes the place of the first, which had taken the teardown's.
        BuildRecord earlier = queue.submit(BuildStore.NewBuild.build("shop", s2, commit(2),
                BuildRecord.Trigger.WEBHOOK));
        BuildRecord late = queue.submit(BuildStore.NewBuild.build("shop", s2, commit(2), BuildRecord.Trigger.WEBHOOK));
        slotFree.countDown();
        assertThat(queue.awaitIdle(Duration.ofSeconds(10))).isTrue();

        assertThat(get(teardown.id()).status()).isEqualTo(BuildStatus.CANCELLED);
        assertThat(get(teardown.id()).error()).hasValue("superseded by build " + earlier.id());
        assertThat(get(earlier.id()).error()).hasValue("superseded by build " + late.id());
        assertThat(get(late.id()).status()).isEqualTo(BuildStatus.CANCELLED);
        assertThat(Files.readString(queue.logFile(late.id()))).contains("ferry: a teardown of branch s2 follows");
        BuildRecord again = store.list(Optional.of("shop"), Optional.of("s2"), 10).getFirst();
        assertThat(again.id()).isGreaterThan(late.id());
        assertThat(again.action()).isEqualTo(BuildRecord.Action.TEARDOWN);
        assertThat(again.status()).isEqualTo(BuildStatus.SUCCEEDED);
        assertThat(tornDown).containsExactly("branch s2");
    }

    /** A pipeline where every build of a commit but {@code head} is stale, pointing at {@code head}. */
    private static BuildPipeline staleBut(String head, java.util.List<String> built,
                                          java.util.concurrent.CountDownLatch staleMayEnd) {
        return new BuildPipeline() {
            @Override
            public BuildResult build(BuildRequest request, BuildContext context) {
                context.enter(Phase.FETCH);
                if (!request.commit().equals(head)) {
                    boolean interrupted = false;
                    while (true) {
                        try {
                            staleMayEnd.await(); // not cancellable: the check is under way when a newer build comes
                            break;
                        } catch (InterruptedException e) {
                            interrupted = true;
                        }
                    }
                    if (interrupted) {
                        Thread.currentThread().interrupt();
                    }
                    throw new StaleRequestException("not built: branch main is at " + head + " now", head);
                }
                built.add(request.commit());
                return new BuildResult(Map.of(), java.util.OptionalLong.empty());
            }

            @Override
            public java.util.OptionalLong teardown(TeardownRequest request) {
                return java.util.OptionalLong.empty();
            }
        };
    }

    @Test
    void aStaleBuildThatANewerOneSupersededQueuesNoHeadBuild() throws Exception {
        java.util.List<String> built = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.concurrent.CountDownLatch headStarted = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch staleStarted = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch staleMayEnd = new java.util.concurrent.CountDownLatch(1);
        BuildPipeline stale = staleBut(commit(3), built, staleMayEnd);
        start(new BuildPipeline() {
            @Override
            public BuildResult build(BuildRequest request, BuildContext context) {
                if (request.commit().equals(commit(2))) { // the head's first build, until it is superseded
                    headStarted.countDown();
                    try {
                        Thread.sleep(60_000);
                    } catch (InterruptedException e) {
                        throw new BuildFailedException("cancelled", e);
                    }
                }
                if (request.commit().equals(commit(1))) {
                    staleStarted.countDown();
                }
                return stale.build(request, context);
            }

            @Override
            public java.util.OptionalLong teardown(TeardownRequest request) {
                return java.util.OptionalLong.empty();
            }
        }, 1);
        webhook(commit(2));
        assertThat(headStarted.await(10, TimeUnit.SECONDS)).isTrue();
        BuildRecord late = webhook(commit(1));
        assertThat(staleStarted.await(10, TimeUnit.SECONDS)).isTrue();
        // A newer push while the late one checks the branch: it comes after, so nothing is queued in its place.
        BuildRecord newest = webhook(commit(3));
        staleMayEnd.countDown();
        assertThat(queue.awaitIdle(Duration.ofSeconds(10))).isTrue();
        // A build that followed would have been queued before the stale one let the queue go idle.
        assertThat(get(late.id()).status()).isEqualTo(BuildStatus.CANCELLED);
        assertThat(get(newest.id()).status()).isEqualTo(BuildStatus.SUCCEEDED);
        assertThat(store.list(Optional.of("shop"), Optional.of("main"), 10)).hasSize(3);
        assertThat(built).containsExactly(commit(3));
    }

    @Test
    void aBuildRecordedBeforeTheStaleOneButQueuedAfterItIsBuiltAsTheHead() throws Exception {
        java.util.List<String> built = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.concurrent.CountDownLatch staleMayEnd = new java.util.concurrent.CountDownLatch(1);
        start(staleBut(commit(2), built, staleMayEnd), 1);
        // The newest push's row is written first; a late delivery's row after it, and that one reaches the queue
        // first: the newest push's build is dropped as superseded when it arrives.
        BuildRecord push = store.insert(BuildStore.NewBuild.build("shop", MAIN, commit(2),
                BuildRecord.Trigger.WEBHOOK));
        BuildRecord late = webhook(commit(1));
        queue.schedule(push);
        staleMayEnd.countDown();
        assertThat(queue.awaitIdle(Duration.ofSeconds(10))).isTrue();
        assertThat(get(push.id()).status()).isEqualTo(BuildStatus.CANCELLED);
        assertThat(get(late.id()).status()).isEqualTo(BuildStatus.CANCELLED);
        assertThat(built).containsExactly(commit(2));
    }

    @Test
    void anOldDeleteThatTookAPushsPlaceGetsTheBranchBuilt() throws Exception {
        FakePipeline pipeline = new FakePipeline(0, 0);
        pipeline.hold = new CountDownLatch(1); // the push's build, until the delete's teardown supersedes it
        pipeline.stillAt = commit(2);
        start(pipeline, 1);
        BuildRecord push = webhook(commit(2));
        assertThat(pipeline.started.await(10, TimeUnit.SECONDS)).isTrue();
        BuildRecord delete = queue.submit(BuildStore.NewBuild.teardown("shop", MAIN, BuildRecord.Trigger.WEBHOOK));
        pipeline.hold.countDown();
        assertThat(queue.awaitIdle(Duration.ofSeconds(10))).isTrue();
        assertThat(get(push.id()).status()).isEqualTo(BuildStatus.CANCELLED);
        assertThat(get(delete.id()).status()).isEqualTo(BuildStatus.CANCELLED);
        assertThat(pipeline.released).containsExactly(commit(2));
    }

    @Test
    void aStaleDeliveryThatSupersededNothingQueuesNothing() throws Exception {
        FakePipeline pipeline = new FakePipeline(0, 0);
        pipeline.staleTo.put(commit(1), commit(2));
        start(pipeline, 1);
        BuildRecord stale = webhook(commit(1));
        assertThat(queue.awaitIdle(Duration.ofSeconds(10))).isTrue();
        assertThat(get(stale.id()).status()).isEqualTo(BuildStatus.CANCELLED);
        // A build that followed would have been queued before the stale one let the queue go idle.
        assertThat(store.list(Optional.of("shop"), Optional.of("main"), 10)).hasSize(1);
    }

    /**
     * Two deliveries recorded together: the newer row's caller reaches the queue first, and the older one's comes
     * while the newer build runs, or only after it ended (its caller was descheduled that long).
     */
    @org.junit.jupiter.params.ParameterizedTest(name = "after the newer one ended: {0}")
    @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
    void anOlderBuildScheduledAfterANewerOneOfItsRefNeverRuns(boolean newerEnded) throws Exception {
        FakePipeline pipeline = new FakePipeline(newerEnded ? 0 : 50, 0);
        start(pipeline, 2);
        BuildRecord older = store.insert(BuildStore.NewBuild.build("shop", MAIN, commit(1), BuildRecord.Trigger.API));
        BuildRecord newer = store.insert(BuildStore.NewBuild.build("shop", MAIN, commit(2), BuildRecord.Trigger.API));
        queue.schedule(newer);
        if (newerEnded) {
            assertThat(queue.awaitIdle(Duration.ofSeconds(10))).isTrue();
        }
        queue.schedule(older);
        assertThat(queue.awaitIdle(Duration.ofSeconds(10))).isTrue();
        assertThat(get(newer.id()).status()).isEqualTo(BuildStatus.SUCCEEDED);
        assertThat(pipeline.released).containsExactly(commit(2));
        BuildRecord moot = get(older.id());
        assertThat(moot.status()).isEqualTo(BuildStatus.CANCELLED);
        assertThat(moot.error()).hasValue("superseded by build " + newer.id());
        assertThat(moot.startedAt()).isEmpty();
        assertThat(Files.exists(queue.logFile(older.id()))).as("it never started").isFalse();
    }

    @Test
    void storm_twentyPushesWithinASecondEndWithAtMostTwoCompletedAndTheLastCommitBuilt() throws Exception {
        FakePipeline pipeline = new FakePipeline(300, 50);
        start(pipeline, 2);
        List<BuildRecord> builds = new java.util.ArrayList<>();
        for (int i = 1; i <= 20; i++) {
            builds.add(submit(MAIN, commit(i)));
            Thread.sleep(40);
        }
        assertThat(queue.awaitIdle(Duration.ofSeconds(30))).isTrue();
        List<BuildRecord> done = builds.stream().map(b -> get(b.id())).toList();
        assertThat(done).allSatisfy(b -> assertThat(b.status().finished()).isTrue());
        List<BuildRecord> succeeded = done.stream().filter(b -> b.status() == BuildStatus.SUCCEEDED).toList();
        assertThat(succeeded).hasSizeBetween(1, 2);
        assertThat(done.getLast().status()).isEqualTo(BuildStatus.SUCCEEDED);
        assertThat(pipeline.released).hasSizeBetween(1, 2).last().isEqualTo(commit(20));
        assertThat(done.stream().filter(b -> b.status() == BuildStatus.CANCELLED))
                .hasSize(20 - succeeded.size())
                .allSatisfy(b -> assertThat(b.error()).hasValueSatisfying(e -> assertThat(e).startsWith("superseded by build")));
    }

    @Test
    void otherRefsRunConcurrentlyUpToTheLimit() throws Exception {
        FakePipeline pipeline = new FakePipeline(0, 0);
        pipeline.hold = new CountDownLatch(1);
        start(pipeline, 2);
        BuildRecord a = submit(new BuildRef.Branch("a"), commit(1));
        BuildRecord b = submit(new BuildRef.Branch("b"), commit(2));
        BuildRecord c = submit(new BuildRef.Branch("c"), commit(3));
        awaitStatus(a.id(), BuildStatus.RUNNING);
        awaitStatus(b.id(), BuildStatus.RUNNING);
        assertThat(get(c.id()).status()).isEqualTo(BuildStatus.QUEUED);
        pipeline.hold.countDown();
        assertThat(queue.awaitIdle(Duration.ofSeconds(10))).isTrue();
        assertThat(List.of(a, b, c)).allSatisfy(x -> assertThat(get(x.id()).status()).isEqualTo(BuildStatus.SUCCEEDED));
        assertThat(get(c.id()).phases().getFirst().phase()).isEqualTo(Phase.QUEUED);
    }

    @Test
    void cancelARunningBuild() throws Exception {
        FakePipeline pipeline = new FakePipeline(60_000, 0);
        BuildRecord build = runningOnMain(pipeline);
        assertThat(queue.cancel(build.id(), "cancelled by the API")).isEqualTo(BuildQueue.CancelOutcome.CANCELLED);
        assertThat(queue.awaitIdle(Duration.ofSeconds(10))).isTrue();
        assertThat(get(build.id()).status()).isEqualTo(BuildStatus.CANCELLED);
        assertThat(get(build.id()).error()).hasValue("cancelled by the API");
        assertThat(pipeline.released).isEmpty();
        assertThat(queue.cancel(build.id(), "again")).isEqualTo(BuildQueue.CancelOutcome.NOT_ACTIVE);
    }

    @Test
    void aReleaseInProgressIsNeverInterrupted() throws Exception {
        CountDownLatch releasing = new CountDownLatch(1);
        CountDownLatch proceed = new CountDownLatch(1);
        start(new BuildPipeline() {
            @Override
            public BuildResult build(BuildRequest request, BuildContext context) {
                if (!context.beginRelease()) {
                    throw new BuildFailedException("cancelled");
                }
                releasing.countDown();
                boolean interrupted = false;
                while (true) {
                    try {
                        proceed.await();
                        break;
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
                if (interrupted) {
                    throw new AssertionError("a releasing build was interrupted");
                }
                return new BuildResult(java.util.Map.of(), java.util.OptionalLong.of(1));
            }

            @Override
            public java.util.OptionalLong teardown(TeardownRequest request) {
                return java.util.OptionalLong.empty();
            }
        }, 2);
        BuildRecord first = submit(MAIN, commit(1));
        assertThat(releasing.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(queue.cancel(first.id(), "x")).isEqualTo(BuildQueue.CancelOutcome.RELEASING);
        BuildRecord second = submit(MAIN, commit(2));
        Thread.sleep(100);
        assertThat(get(second.id()).status()).isEqualTo(BuildStatus.QUEUED); // waits for the release of its ref
        proceed.countDown();
        assertThat(queue.awaitIdle(Duration.ofSeconds(10))).isTrue();
        assertThat(get(first.id()).status()).isEqualTo(BuildStatus.SUCCEEDED);
        assertThat(get(second.id()).status()).isEqualTo(BuildStatus.SUCCEEDED);
    }

    @Test
    void aTeardownCancelsOlderBuildsOfTheRefAndRunsThePipelinesTeardown() throws Exception {
        FakePipeline pipeline = new FakePipeline(60_000, 0);
        start(pipeline, 2);
        BuildRef pr = new BuildRef.PullRequest(7, "feature");
        BuildRecord build = submit(pr, commit(1));
        BuildRecord other = submit(MAIN, commit(2));
        assertThat(pipeline.started.await(10, TimeUnit.SECONDS)).isTrue();
        BuildRecord teardown = queue.submit(BuildStore.NewBuild.teardown("shop", pr, BuildRecord.Trigger.WEBHOOK));
        awaitStatus(teardown.id(), BuildStatus.SUCCEEDED);
        assertThat(get(build.id()).status()).isEqualTo(BuildStatus.CANCELLED);
        assertThat(get(teardown.id()).generation()).isPresent();
        assertThat(pipeline.tornDown).containsExactly("shop-pr-7");
        assertThat(get(other.id()).status()).isEqualTo(BuildStatus.RUNNING);
    }

    @Test
    void aBuildOfAnUnknownProjectFails() throws Exception {
        start(new FakePipeline(0, 0), 1);
        BuildRecord build = queue.submit(BuildStore.NewBuild.build("gone", MAIN, commit(1), BuildRecord.Trigger.API));
        assertThat(queue.awaitIdle(Duration.ofSeconds(10))).isTrue();
        assertThat(get(build.id()).error()).hasValue("project gone is not configured any more");
    }

    @Test
    void aTeardownOfAProjectNoLongerConfiguredRunsWithoutIt() throws Exception {
        FakePipeline pipeline = new FakePipeline(0, 0);
        start(pipeline, 1);
        BuildRef pr = new BuildRef.PullRequest(3, "topic");
        BuildRecord teardown = queue.submit(BuildStore.NewBuild.teardown("gone", pr, BuildRecord.Trigger.API));
        assertThat(queue.awaitIdle(Duration.ofSeconds(10))).isTrue();

        BuildRecord done = get(teardown.id());
        assertThat(done.status()).isEqualTo(BuildStatus.SUCCEEDED);
        assertThat(done.error()).isEmpty();
        assertThat(done.trigger()).isEqualTo(BuildRecord.Trigger.API);
        assertThat(done.generation()).hasValue(1);
        assertThat(pipeline.teardowns).containsExactly(new TeardownRequest("gone", pr, Optional.empty(),
                TeardownRequest.RefCheck.AS_ASKED));
        assertThat(pipeline.tornDown).containsExactly("gone-pr-3");
        assertThat(Files.readString(queue.logFile(teardown.id())))
                .startsWith("ferry: teardown " + teardown.id() + " of gone pull request #3 (branch topic)\n")
                .contains("ferry: removed deployment gone-pr-3: generation 1 no longer runs it\n")
                .endsWith("ferry: succeeded\n");
    }

    @Test
    void aTeardownThatFindsNothingDeployedSaysSoInItsLog() throws Exception {
        FakePipeline pipeline = new FakePipeline(0, 0);
        pipeline.nothingDeployed = true;
        start(pipeline, 1);
        BuildRecord teardown = queue.submit(BuildStore.NewBuild.teardown("shop", new BuildRef.Branch("old"),
                BuildRecord.Trigger.API));
        assertThat(queue.awaitIdle(Duration.ofSeconds(10))).isTrue();
        assertThat(get(teardown.id()).generation()).isEmpty();
        assertThat(Files.readString(queue.logFile(teardown.id()))).contains("ferry: nothing removed: no deployment "
                + "shop-old of branch old runs in the manifest (none is recorded, another ref owns that name, or its "
                + "entries were already gone; see the server log); no generation written\n");
    }

    @Test
    void aWebhooksBranchTeardownNeedsTheBranchGoneWhileAnApiTeardownOrAPullRequestsIsAsAsked() throws Exception {
        FakePipeline pipeline = new FakePipeline(0, 0);
        start(pipeline, 4);
        BuildRecord webhook = queue.submit(BuildStore.NewBuild.teardown("shop", new BuildRef.Branch("a"),
                BuildRecord.Trigger.WEBHOOK));
        BuildRecord api = queue.submit(BuildStore.NewBuild.teardown("shop", new BuildRef.Branch("b"),
                BuildRecord.Trigger.API));
        queue.submit(BuildStore.NewBuild.teardown("shop", new BuildRef.PullRequest(3, "c"),
                BuildRecord.Trigger.WEBHOOK));
        queue.submit(BuildStore.NewBuild.teardown("gone", new BuildRef.Branch("d"), BuildRecord.Trigger.WEBHOOK));
        assertThat(queue.awaitIdle(Duration.ofSeconds(10))).isTrue();
        // Retries (after a restart) check as the teardowns they repeat did.
        queue.submit(new BuildStore.NewBuild("shop", BuildRecord.Action.TEARDOWN, new BuildRef.Branch("a"),
                Optional.empty(), BuildRecord.Trigger.RETRY, Optional.empty(), 2,
                java.util.OptionalLong.of(webhook.id())));
        queue.submit(new BuildStore.NewBuild("shop", BuildRecord.Action.TEARDOWN, new BuildRef.Branch("b"),
                Optional.empty(), BuildRecord.Trigger.RETRY, Optional.empty(), 2,
                java.util.OptionalLong.of(api.id())));
        assertThat(queue.awaitIdle(Duration.ofSeconds(10))).isTrue();

        assertThat(pipeline.teardowns).containsExactlyInAnyOrder(
                TeardownRequest.of(SHOP, new BuildRef.Branch("a"), TeardownRequest.RefCheck.BRANCH_GONE),
                TeardownRequest.of(SHOP, new BuildRef.Branch("b"), TeardownRequest.RefCheck.AS_ASKED),
                TeardownRequest.of(SHOP, new BuildRef.PullRequest(3, "c"), TeardownRequest.RefCheck.AS_ASKED),
                new TeardownRequest("gone", new BuildRef.Branch("d"), Optional.empty(),
                        TeardownRequest.RefCheck.BRANCH_GONE),
                TeardownRequest.of(SHOP, new BuildRef.Branch("a"), TeardownRequest.RefCheck.BRANCH_GONE),
                TeardownRequest.of(SHOP, new BuildRef.Branch("b"), TeardownRequest.RefCheck.AS_ASKED));
    }

    @Test
    void anApiTeardownSupersedesTheRunningBuildOfItsRef() throws Exception {
        FakePipeline pipeline = new FakePipeline(60_000, 0);
        BuildRecord build = runningOnMain(pipeline);
        BuildRecord queued = submit(MAIN, commit(2));
        BuildRecord teardown = queue.submit(BuildStore.NewBuild.teardown("shop", MAIN, BuildRecord.Trigger.API));
        awaitStatus(teardown.id(), BuildStatus.SUCCEEDED);

        assertThat(get(build.id()).status()).isEqualTo(BuildStatus.CANCELLED);
        awaitStatus(queued.id(), BuildStatus.CANCELLED); // its row is written off the queue's path
        assertThat(get(queued.id()).error()).hasValue("superseded by build " + teardown.id());
        assertThat(pipeline.released).isEmpty();
        assertThat(pipeline.tornDown).containsExactly("shop-main");
    }

    /** A build left running with a newer one of its ref queued (the server stopped in between) is not retried. */
    @Test
    void restartRecovery_anInterruptedBuildIsNotRetriedOverANewerQueuedOne() throws Exception {
        BuildRecord build = runningOnMain(new FakePipeline(60_000, 0));
        queue.close();
        BuildRecord newer = store.insert(BuildStore.NewBuild.build("shop", MAIN, commit(2), BuildRecord.Trigger.API));
        db.close();

        db = Database.open(dir.resolve(Database.FILE_NAME));
        store = BuildStore.create(db);
        FakePipeline after = new FakePipeline(0, 0);
        start(after, 2);
        assertThat(queue.awaitIdle(Duration.ofSeconds(10))).isTrue();
        assertThat(get(build.id()).status()).isEqualTo(BuildStatus.FAILED);
        assertThat(get(build.id()).error()).hasValue("interrupted; not retried: build " + newer.id() + " is newer");
        assertThat(get(newer.id()).status()).isEqualTo(BuildStatus.SUCCEEDED);
        assertThat(after.released).containsExactly(commit(2));
        assertThat(store.list(Optional.of("shop"), Optional.of("main"), 10)).hasSize(2);
    }

    @Test
    void restartRecovery_interruptedBuildFailsAndRunsAgainOnce() throws Exception {
        FakePipeline stuck = new FakePipeline(60_000, 0);
        start(stuck, 1);
        BuildRecord build = submit(MAIN, commit(1));
        BuildRecord queued = submit(new BuildRef.Branch("other"), commit(2));
        assertThat(stuck.started.await(10, TimeUnit.SECONDS)).isTrue();
        queue.close(); // the server stops during the build: its row stays running
        db.close();
        assertThat(new Store(dir).status(build.id())).isEqualTo("running");

        db = Database.open(dir.resolve(Database.FILE_NAME)); // a new process, the same file
        store = BuildStore.create(db);
        FakePipeline blocked = new FakePipeline(60_000, 0);
        blocked.started = new CountDownLatch(2);
        start(blocked, 2);
        assertThat(blocked.started.await(10, TimeUnit.SECONDS)).isTrue(); // the retry and the one queued before
        BuildRecord interrupted = get(build.id());
        assertThat(interrupted.status()).isEqualTo(BuildStatus.FAILED);
        assertThat(interrupted.error()).hasValue("interrupted");
        BuildRecord retry = store.list(Optional.of("shop"), Optional.of("main"), 10).getFirst();
        assertThat(retry.id()).isNotEqualTo(build.id());
        assertThat(retry.attempt()).isEqualTo(2);
        assertThat(retry.retryOf()).hasValue(build.id());
        assertThat(retry.trigger()).isEqualTo(BuildRecord.Trigger.RETRY);
        assertThat(retry.commit()).isEqualTo(build.commit());
        assertThat(get(queued.id()).status()).isEqualTo(BuildStatus.RUNNING); // queued before the restart

        // Both interrupted again: the retry ends failed and is not queued a third time; the other, on its first
        // attempt, is retried once and succeeds.
        queue.close();
        db.close();
        db = Database.open(dir.resolve(Database.FILE_NAME));
        store = BuildStore.create(db);
        start(new FakePipeline(0, 0), 2);
        assertThat(queue.awaitIdle(Duration.ofSeconds(10))).isTrue();
        assertThat(store.list(Optional.of("shop"), Optional.of("main"), 10)).extracting(BuildRecord::status)
                .containsExactly(BuildStatus.FAILED, BuildStatus.FAILED);
        assertThat(get(retry.id()).error()).hasValue("interrupted");
        assertThat(store.list(Optional.of("shop"), Optional.of("other"), 10))
                .extracting(b -> b.status() + "/" + b.attempt())
                .containsExactly("SUCCEEDED/2", "FAILED/1");
        assertThat(store.list(Optional.empty(), Optional.empty(), 100))
                .noneMatch(b -> b.status() == BuildStatus.RUNNING || b.status() == BuildStatus.QUEUED);
    }

    @Test
    void followingALogStreamsUntilTheBuildEnds() throws Exception {
        FakePipeline pipeline = new FakePipeline(0, 0);
        pipeline.hold = new CountDownLatch(1);
        start(pipeline, 1);
        BuildRecord build = submit(MAIN, commit(1));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        var executor = Executors.newVirtualThreadPerTaskExecutor();
        Future<?> follower = executor.submit(() -> {
            new BuildLogs(queue).follow(build.id(), out);
            return null;
        });
        assertThat(pipeline.started.await(10, TimeUnit.SECONDS)).isTrue();
        Thread.sleep(300);
        assertThat(follower.isDone()).isFalse();
        pipeline.hold.countDown();
        follower.get(10, TimeUnit.SECONDS);
        executor.close();
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo(Files.readString(queue.logFile(build.id())))
                .endsWith("ferry: succeeded\n");
    }

    private void awaitStatus(long id, BuildStatus status) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (get(id).status() != status) {
            assertThat(System.nanoTime()).as("build %d reaching %s (now %s)", id, status, get(id).status())
                    .isLessThan(deadline);
            Thread.sleep(10);
        }
    }

    /** Reads the file directly, with the database closed: what the process left. */
    record Store(Path dir) {
        String status(long id) throws Exception {
            try (var c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + dir.resolve(Database.FILE_NAME));
                 var s = c.prepareStatement("SELECT status FROM builds WHERE id = ?")) {
                s.setLong(1, id);
                try (var rs = s.executeQuery()) {
                    rs.next();
                    return rs.getString(1);
                }
            }
        }
    }
}
