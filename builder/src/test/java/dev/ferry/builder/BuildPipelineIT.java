package dev.ferry.builder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ferry.cache.BinaryCache;
import dev.ferry.cache.CacheUri;
import dev.ferry.cache.LocalNixStore;
import dev.ferry.cache.Manifest;
import dev.ferry.cache.ManifestStore;
import dev.ferry.cache.PathInfo;
import dev.ferry.cache.Storage;
import dev.ferry.nix.SecretKey;
import dev.ferry.nix.StorePath;
import dev.ferry.process.Command;
import dev.ferry.testkit.RequiresPrograms;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pipeline against real git repositories (made here), real Nix and a directory cache. */
@RequiresPrograms({"nix", "git"})
class BuildPipelineIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String EPHEMERAL = "ferry.test";

    @TempDir
    Path dir;

    private final SecretKey key = SecretKey.generate("ferry-test-1");
    private final NixRunner runner = new NixRunner();
    private final InMemoryDeploymentStore deployments = new InMemoryDeploymentStore();
    private Storage cache;
    private ManifestStore manifests;
    private BuildPipeline pipeline;
    private TestRepository repo;
    private Project project;
    private long buildIds;

    @BeforeEach
    void setUp() {
        cache = CacheUri.parse("file://" + dir.resolve("cache")).open();
        manifests = ManifestStore.create(cache);
        pipeline = BuildPipelines.create(PipelineSettings.defaults(dir.resolve("data")).withEphemeralDomain(EPHEMERAL),
                cache, key, deployments, runner);
        repo = TestRepository.create(dir);
        project = new Project("hello", repo.url(), "main");
    }

    @Test
    void buildsTheExamplePublishesItsClosureAndWritesAGeneration() throws Exception {
        // A comment unique to this run makes the worker a new derivation, so nix really builds it.
        String commit = repo.writeExample().edit("worker/worker.sh", "# Ferry's example worker",
                "# Ferry's example worker (" + UUID.randomUUID() + ")").commit("hello 1.0.0");
        repo.push("refs/heads/main");
        RecordingContext context = new RecordingContext();

        BuildResult result = build(new BuildRef.Branch("main"), commit, context);

        context.finish();
        System.out.println("first build, phases: " + new TreeMap<>(context.durations()));
        // The outputs are what nix build gives for this commit (built here from the clone, with git semantics).
        Map<String, String> expected = nixBuild(repo.work, "web", "worker", "docs");
        assertThat(result.outputs()).isEqualTo(expected);
        assertThat(result.generation()).isEqualTo(OptionalLong.of(1));
        assertThat(context.phases()).containsExactly(Phase.FETCH, Phase.EVAL, Phase.BUILD, Phase.PUBLISH,
                Phase.RELEASE);
        assertThat(context.logText()).contains("building '/nix/store/").contains("-hello-worker.drv'")
                .contains("ferry: publishing: ").contains("ferry: published /nix/store/")
                .contains("released generation 1").contains("routed by each host's Caddy (ferry.deployer.caddy-listen) for: hello-main.ferry.test");

        // Every path of every output's closure has a narinfo in the cache.
        BinaryCache binaryCache = new BinaryCache(cache);
        List<PathInfo> closure = new LocalNixStore(runner).closure(expected.values().stream().map(StorePath::parse)
                .toList());
        assertThat(closure).hasSizeGreaterThanOrEqualTo(3);
        assertThat(closure).allSatisfy(p -> assertThat(binaryCache.hasNarInfo(p.path())).as(p.path().toString())
                .isTrue());

        Manifest manifest = manifests.newest().orElseThrow().manifest();
        assertThat(manifest.generation()).isEqualTo(1);
        Manifest.Service web = manifest.service("hello-main-web").orElseThrow();
        assertThat(web.artifact().storePath().absolute()).isEqualTo(expected.get("web"));
        assertThat(web.exec().command()).isEqualTo("bin/hello-web");
        assertThat(web.http().orElseThrow().domains())
                .containsExactly("hello-main.ferry.test", "hello-main-web.ferry.test", "hello.example.org");
        assertThat(web.http().orElseThrow().internalPort()).isEmpty();
        assertThat(web.ready().orElseThrow().http().path()).isEqualTo("/healthz");
        assertThat(web.env()).containsExactly(Map.entry("GREETING", "hello"));
        assertThat(web.revision()).contains(commit);
        Manifest.Service worker = manifest.service("hello-main-worker").orElseThrow();
        assertThat(worker.artifact().storePath().absolute()).isEqualTo(expected.get("worker"));
        assertThat(worker.exec().args()).containsExactly("--interval", "5");
        assertThat(worker.http()).isEmpty();
        Manifest.Site docs = manifest.site("hello-main-docs").orElseThrow();
        assertThat(docs.artifact().storePath().absolute()).isEqualTo(expected.get("docs"));
        assertThat(docs.http().domains()).containsExactly("hello-main-docs.ferry.test", "docs.hello.example.org");

        Deployment deployment = deployments.find("hello-main").orElseThrow();
        assertThat(deployment.services()).containsExactly("hello-main-web", "hello-main-worker");
        assertThat(deployment.sites()).containsExactly("hello-main-docs");
        assertThat(deployment.commit()).isEqualTo(commit);
        assertThat(deployment.generation()).isEqualTo(1);
        assertThat(deployment.domains()).contains("hello-main.ferry.test", "hello-main-docs.ferry.test");

        // The example's web service runs from its store path: its version at /, ok at /healthz, on $PORT.
        assertThat(httpGet(expected.get("web"), "/", "/healthz")).containsExactly("hello from hello-web 1.0.0\n", "ok\n");

        // The checkout is gone; the mirror stays.
        assertThat(dir.resolve("data/work/1")).doesNotExist();
        assertThat(dir.resolve("data/git/hello.git")).isDirectory();
    }

    @Test
    void aChangeToOneServiceChangesOnlyItsStorePathAndARebuildWritesNothing() {
        String first = repo.writeExample().commit("hello 1.0.0");
        repo.push("refs/heads/main");
        Map<String, String> before = build(new BuildRef.Branch("main"), first, new RecordingContext()).outputs();

        // A one-line change, unique to this run so that it is really built (the figures below are of a real build).
        String second = repo.edit("web/server.py", "VERSION = \"1.0.0\"", "VERSION = \"1.0.1+" + UUID.randomUUID()
                + "\"").commit("hello 1.0.1");
        repo.push("refs/heads/main");
        RecordingContext context = new RecordingContext();
        BuildResult result = build(new BuildRef.Branch("main"), second, context);
        context.finish();

        assertThat(result.generation()).isEqualTo(OptionalLong.of(2));
        assertThat(result.outputs().get("web")).isNotEqualTo(before.get("web"));
        assertThat(result.outputs().get("worker")).isEqualTo(before.get("worker"));
        assertThat(result.outputs().get("docs")).isEqualTo(before.get("docs"));
        Manifest manifest = manifests.newest().orElseThrow().manifest();
        assertThat(manifest.service("hello-main-web").orElseThrow().artifact().storePath().absolute())
                .isEqualTo(result.outputs().get("web"));
        assertThat(manifest.service("hello-main-worker").orElseThrow().artifact().storePath().absolute())
                .isEqualTo(before.get("worker"));
        // Figures for the report: the phases of a one-line change.
        System.out.println("one-line change, phases: " + new TreeMap<>(context.durations()));

        // The same commit again (a manual rebuild): no new generation, and the deployment records the new build.
        BuildResult again = build(new BuildRef.Branch("main"), second, new RecordingContext());
        assertThat(again.generation()).isEmpty();
        assertThat(again.outputs()).isEqualTo(result.outputs());
        assertThat(manifests.top()).isEqualTo(2);
        assertThat(deployments.find("hello-main").orElseThrow().generation()).isEqualTo(2);
        assertThat(deployments.find("hello-main").orElseThrow().buildId()).isEqualTo(buildIds);
    }

    @Test
    void concurrentBuildsOfOneProjectShareTheMirrorSafely() throws Exception {
        repo.writeExample();
        List<String> branches = List.of("a", "b", "c");
        Map<String, String> commits = new TreeMap<>();
        for (String branch : branches) {
            commits.put(branch, repo.branch(branch).edit("site/index.html", "<h1>hello", "<h1>hello " + branch)
                    .commit(branch));
            repo.push("refs/heads/" + branch);
            repo.edit("site/index.html", "<h1>hello " + branch, "<h1>hello");
        }
        List<Thread> threads = new java.util.ArrayList<>();
        List<Throwable> failures = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        for (String branch : branches) {
            long id = ++buildIds;
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    pipeline.build(new BuildRequest(id, project, new BuildRef.Branch(branch), commits.get(branch),
                            BuildRequest.CommitCheck.BRANCH_HEAD), new RecordingContext());
                } catch (Throwable e) {
                    failures.add(e);
                }
            }));
        }
        for (Thread thread : threads) {
            thread.join();
        }
        assertThat(failures).isEmpty();
        assertThat(manifests.top()).isEqualTo(3);
        assertThat(manifests.newest().orElseThrow().manifest().sites()).extracting(Manifest.Site::name)
                .containsExactly("hello-a-docs", "hello-b-docs", "hello-c-docs");
        assertThat(deployments.all()).extracting(Deployment::commit).containsExactlyElementsOf(commits.values());
        TestRepository.git(dir, "--git-dir", dir.resolve("data/git/hello.git").toString(), "fsck", "--strict");
    }

    @Test
    void aFlakeWithoutAFerryOutputFailsSayingSo() {
        String commit = repo.writeExample().edit("flake.nix", "ferry = {", "notFerry = {").commit("no ferry");
        repo.push("refs/heads/main");

        assertThatThrownBy(() -> build(new BuildRef.Branch("main"), commit, new RecordingContext()))
                .isInstanceOf(BuildFailedException.class)
                .hasMessageContaining("the flake has no output 'ferry'");
        assertNothingReleased();
    }

    @Test
    void aFeatureBranchGetsItsOwnDeploymentAndTeardownRemovesIt() {
        releaseMain();
        String feature = repo.branch("feature/Shiny").edit("web/server.py", "1.0.0", "2.0.0-shiny").commit("shiny");
        repo.push("refs/heads/feature/Shiny");

        BuildResult result = build(new BuildRef.Branch("feature/Shiny"), feature, new RecordingContext());

        assertThat(result.generation()).isEqualTo(OptionalLong.of(2));
        Manifest manifest = manifests.newest().orElseThrow().manifest();
        assertThat(manifest.services()).extracting(Manifest.Service::name).containsExactly(
                "hello-feature-shiny-web", "hello-feature-shiny-worker", "hello-main-web", "hello-main-worker");
        // Custom domains belong to the production branch only.
        assertThat(manifest.service("hello-feature-shiny-web").orElseThrow().http().orElseThrow().domains())
                .containsExactly("hello-feature-shiny.ferry.test", "hello-feature-shiny-web.ferry.test");
        assertThat(manifest.site("hello-feature-shiny-docs").orElseThrow().http().domains())
                .containsExactly("hello-feature-shiny-docs.ferry.test");
        assertThat(deployments.all()).extracting(Deployment::name).containsExactly("hello-feature-shiny", "hello-main");

        // While the branch exists on the remote, its teardown (an old delete delivery sent again) changes nothing.
        String head = Checkout.abbreviate(feature);
        assertThatThrownBy(() -> webhookTeardown(project, new BuildRef.Branch("feature/Shiny")))
                .isInstanceOf(StaleRequestException.class)
                .hasMessage("not torn down: branch feature/Shiny still exists at " + head);
        assertThat(manifests.top()).isEqualTo(2);
        assertThat(deployments.all()).extracting(Deployment::name).containsExactly("hello-feature-shiny", "hello-main");

        repo.deleteBranch("feature/Shiny");
        OptionalLong teardown = webhookTeardown(project, new BuildRef.Branch("feature/Shiny"));

        assertThat(teardown).isEqualTo(OptionalLong.of(3));
        Manifest after = manifests.newest().orElseThrow().manifest();
        assertThat(after.services()).extracting(Manifest.Service::name)
                .containsExactly("hello-main-web", "hello-main-worker");
        assertThat(after.sites()).extracting(Manifest.Site::name).containsExactly("hello-main-docs");
        assertThat(after.sameContent(manifests.read(1).orElseThrow().manifest())).isTrue();
        assertThat(deployments.all()).extracting(Deployment::name).containsExactly("hello-main");
        // Tearing down what is gone writes nothing.
        assertThat(webhookTeardown(project, new BuildRef.Branch("feature/Shiny"))).isEmpty();
        assertThat(manifests.top()).isEqualTo(3);
    }

    @Test
    void aWebhookBuildOfACommitThatIsNoLongerTheBranchsHeadBuildsNothingAndSaysWhy() {
        String first = repo.writeExample().commit("hello 1.0.0");
        repo.push("refs/heads/main");
        assertThat(webhookBuild("main", first, new RecordingContext()).generation()).isEqualTo(OptionalLong.of(1));
        String second = repo.edit("web/server.py", "1.0.0", "1.0.1").commit("hello 1.0.1");
        repo.push("refs/heads/main");
        assertThat(webhookBuild("main", second, new RecordingContext()).generation()).isEqualTo(OptionalLong.of(2));

        // The first push's delivery sent again: its commit is in the mirror, but no longer the branch's head.
        RecordingContext replay = new RecordingContext();
        assertThatThrownBy(() -> webhookBuild("main", first, replay))
                .isInstanceOf(StaleRequestException.class)
                .hasMessage("not built: branch main is at " + Checkout.abbreviate(second) + " now, not at "
                        + Checkout.abbreviate(first) + " (a newer push, or an old delivery sent again)");
        replay.finish();
        assertThat(replay.phases()).containsExactly(Phase.FETCH);
        assertThat(replay.logText()).contains("ferry: fetching refs/heads/main from ")
                .contains("ferry: branch main is at " + second + " on the remote (fetched in ")
                .contains("ferry: not built: branch main is at ");
        System.out.println("replayed push, fetch of an unchanged branch: " + replay.durations().get(Phase.FETCH)
                .toMillis() + " ms; " + replay.logText().lines().filter(l -> l.contains("fetched in")).toList());
        assertThat(manifests.top()).isEqualTo(2);
        assertThat(deployments.find("hello-main").orElseThrow().commit()).isEqualTo(second);
        assertThat(dir.resolve("data/work/" + buildIds)).doesNotExist();

        // Committed but not pushed (or pushed to a forge whose mirror this remote is, not yet caught up).
        String unpushed = repo.edit("web/server.py", "1.0.1", "1.0.2").commit("hello 1.0.2");
        assertThatThrownBy(() -> webhookBuild("main", unpushed, new RecordingContext()))
                .isInstanceOf(StaleRequestException.class)
                .hasMessage("not built: commit " + Checkout.abbreviate(unpushed) + " is not in "
                        + project.redactedCloneUrl() + " (a mirror that has not caught up, or a push that never "
                        + "reached it; or a force-push replaced it before it was fetched, and this is an old delivery); "
                        + "branch main is at " + Checkout.abbreviate(second));
        repo.resetTo(second);

        // A force-push back to the first commit makes it the head again: then it builds.
        repo.resetTo(first).push("refs/heads/main");
        BuildResult back = webhookBuild("main", first, new RecordingContext());
        assertThat(back.generation()).isEqualTo(OptionalLong.of(3));
        assertThat(deployments.find("hello-main").orElseThrow().commit()).isEqualTo(first);

        // A build through the API builds the commit it names, the branch's head or not.
        assertThat(build(new BuildRef.Branch("main"), second, new RecordingContext()).generation())
                .isEqualTo(OptionalLong.of(4));
        assertThat(deployments.find("hello-main").orElseThrow().commit()).isEqualTo(second);
    }

    @Test
    void aBranchWhoseNameAnOldBranchInTheMirrorBlocksIsStillItsHead() {
        repo.writeExample().commit("hello 1.0.0");
        repo.push("refs/heads/main");
        String feature = repo.branch("work").edit("web/server.py", "1.0.0", "1.1.0").commit("feature");
        repo.push("refs/heads/feature");
        assertThat(webhookBuild("feature", feature, new RecordingContext()).generation()).isPresent();
        // The mirror keeps refs/heads/feature, so it cannot store refs/heads/feature/x: the remote's word counts.
        repo.deleteBranch("feature");
        String nested = repo.edit("web/server.py", "1.1.0", "1.2.0").commit("nested");
        repo.push("refs/heads/feature/x");
        RecordingContext context = new RecordingContext();
        assertThat(webhookBuild("feature/x", nested, context).generation()).isPresent();
        assertThat(context.logText()).contains("branch feature/x is at " + nested + " on the remote");
    }

    @Test
    void aWebhookBuildOfADeletedBranchBuildsNothing() {
        String main = repo.writeExample().commit("hello 1.0.0");
        repo.push("refs/heads/main");
        String gone = repo.branch("gone").edit("web/server.py", "1.0.0", "0.9.0").commit("gone");
        repo.push("refs/heads/gone");
        repo.deleteBranch("gone");

        // Ferry never fetched it: whether it was deleted or never reached the remote cannot be told apart.
        assertThatThrownBy(() -> webhookBuild("gone", gone, new RecordingContext()))
                .isInstanceOf(StaleRequestException.class)
                .hasMessage("not built: branch gone does not exist in " + project.redactedCloneUrl() + ", and commit "
                        + Checkout.abbreviate(gone) + " is not in it (a mirror that has not caught up, or a push that "
                        + "never reached it; or the branch was deleted after the push)");
        assertNothingReleased();
        assertThat(webhookBuild("main", main, new RecordingContext()).generation()).isEqualTo(OptionalLong.of(1));
    }

    @Test
    void aTeardownWhoseRemoteCannotBeReadTearsNothingDown() {
        String main = releaseMain();
        Project moved = new Project("hello", dir.resolve("nowhere.git").toUri().toString(), "main");

        assertThatThrownBy(() -> webhookTeardown(moved, new BuildRef.Branch("main")))
                .isInstanceOf(BuildFailedException.class)
                .isNotInstanceOf(StaleRequestException.class)
                .hasMessageStartingWith("not torn down: whether branch main still exists cannot be read: reading "
                        + "the branches of " + moved.cloneUrl() + " failed: ");
        assertThat(manifests.top()).isEqualTo(1);
        assertThat(deployments.all()).extracting(Deployment::name).containsExactly("hello-main");
    }

    @Test
    void aTeardownAsAskedNeedsNeitherTheConfiguredProjectNorTheBranchToBeGone() {
        releaseMain();
        String feature = repo.branch("feature").edit("web/server.py", "1.0.0", "2.0.0").commit("feature");
        repo.push("refs/heads/feature");
        build(new BuildRef.Branch("feature"), feature, new RecordingContext());
        assertThat(manifests.top()).isEqualTo(2);
        // Project hello is no longer configured: a webhook's branch deletion cannot ask its remote, and says so.
        TeardownRequest unconfigured = new TeardownRequest("hello", new BuildRef.Branch("feature"), Optional.empty(),
                TeardownRequest.RefCheck.BRANCH_GONE);
        assertThatThrownBy(() -> pipeline.teardown(unconfigured))
                .isInstanceOf(BuildFailedException.class)
                .isNotInstanceOf(StaleRequestException.class)
                .hasMessage("not torn down: project hello is not configured any more, so whether branch feature still "
                        + "exists cannot be read; remove deployment hello-feature with DELETE "
                        + "/v1/deployments/hello-feature");
        assertThat(manifests.top()).isEqualTo(2);

        // As an operator asks (DELETE /v1/deployments/hello-feature): the branch still exists, and no remote is read.
        OptionalLong torn = pipeline.teardown(new TeardownRequest("hello", new BuildRef.Branch("feature"),
                Optional.empty(), TeardownRequest.RefCheck.AS_ASKED));

        assertThat(torn).isEqualTo(OptionalLong.of(3));
        Manifest after = manifests.newest().orElseThrow().manifest();
        assertThat(after.reason()).isEqualTo("teardown hello-feature");
        assertThat(after.services()).extracting(Manifest.Service::name)
                .containsExactly("hello-main-web", "hello-main-worker");
        assertThat(after.sites()).extracting(Manifest.Site::name).containsExactly("hello-main-docs");
        assertThat(deployments.all()).extracting(Deployment::name).containsExactly("hello-main");
    }

    @Test
    void aNameAnotherDeploymentOwnsIsRefusedAndNothingIsWritten() {
        // Deployment hello-main has a service web-worker: manifest name hello-main-web-worker. Branch main-web's
        // deployment, hello-main-web, would name its worker hello-main-web-worker too.
        String main = repo.writeExample().edit("flake.nix", "services.worker = {", "services.web-worker = {")
                .commit("web-worker");
        repo.push("refs/heads/main");
        build(new BuildRef.Branch("main"), main, new RecordingContext());
        String other = repo.branch("main-web").edit("flake.nix", "services.web-worker = {", "services.worker = {")
                .commit("worker");
        repo.push("refs/heads/main-web");

        assertThatThrownBy(() -> build(new BuildRef.Branch("main-web"), other, new RecordingContext()))
                .isInstanceOf(BuildFailedException.class)
                .hasMessage("the manifest name hello-main-web-worker is taken by deployment hello-main (rename the "
                        + "service or site)");
        assertThat(manifests.top()).isEqualTo(1);
        assertThat(deployments.all()).extracting(Deployment::name).containsExactly("hello-main");
    }

    @Test
    void aCustomDomainAnotherProjectServesIsRefusedNamingThatDeploymentAndNothingIsWritten() {
        String main = releaseMain();
        // Another project of the same flake: its production branch asks for the same custom domains.
        Project copy = new Project("hello-copy", repo.url(), "main");

        assertThatThrownBy(() -> pipeline.build(new BuildRequest(++buildIds, copy, new BuildRef.Branch("main"), main,
                BuildRequest.CommitCheck.AS_GIVEN), new RecordingContext()))
                .isInstanceOf(BuildFailedException.class)
                .hasMessage("the route hello.example.org/ of hello-copy-main-web is already served by hello-main-web, "
                        + "of deployment hello-main (project hello, branch main): a domain and path route to one "
                        + "service (check customDomain in the Ferry config); nothing was released");
        assertThat(manifests.top()).isEqualTo(1);
        assertThat(deployments.all()).extracting(Deployment::name).containsExactly("hello-main");
    }

    @Test
    void aBranchWhoseNameMakesProductionsDeploymentNameNeitherReplacesNorTearsItDown() {
        String main = releaseMain();
        Deployment production = deployments.find("hello-main").orElseThrow();
        Manifest released = manifests.newest().orElseThrow().manifest();
        // Branch Main's slug is main: its deployment name is production's.
        String upper = repo.branch("Main").edit("web/server.py", "1.0.0", "6.6.6").commit("not production");
        repo.push("refs/heads/Main");
        RecordingContext context = new RecordingContext();

        assertThatThrownBy(() -> build(new BuildRef.Branch("Main"), upper, context))
                .isInstanceOf(BuildFailedException.class)
                .hasMessage("deployment name hello-main belongs to project hello, branch main; rename branch Main of "
                        + "project hello");

        assertThat(context.logText()).contains("ferry: build failed: deployment name hello-main belongs to");
        assertThat(manifests.top()).isEqualTo(1);
        assertThat(manifests.newest().orElseThrow().manifest().sameContent(released)).isTrue();
        assertThat(deployments.all()).containsExactly(production);

        // A delete of branch Main while it exists (an old delivery sent again) is refused, naming its head, although
        // Main has no deployment of its own: it may have taken the place of Main's first build.
        assertThatThrownBy(() -> webhookTeardown(project, new BuildRef.Branch("Main")))
                .isInstanceOfSatisfying(StaleRequestException.class, e -> assertThat(e.head()).isPresent())
                .hasMessageStartingWith("not torn down: branch Main still exists at ");
        // Deleting branch Main leaves production as it is.
        repo.deleteBranch("Main");
        assertThat(webhookTeardown(project, new BuildRef.Branch("Main"))).isEmpty();
        assertThat(manifests.top()).isEqualTo(1);
        assertThat(deployments.all()).containsExactly(production);

        // Production itself still builds, releases and tears down.
        TestRepository.git(repo.work, "checkout", "--quiet", "main");
        String next = repo.edit("web/server.py", "1.0.0", "1.0.1").commit("hello 1.0.1");
        repo.push("refs/heads/main");
        assertThat(build(new BuildRef.Branch("main"), next, new RecordingContext()).generation())
                .isEqualTo(OptionalLong.of(2));
        assertThat(deployments.find("hello-main").orElseThrow().commit()).isEqualTo(next);
        assertThat(manifests.newest().orElseThrow().manifest().service("hello-main-web").orElseThrow().revision())
                .contains(next);
        repo.deleteBranch("main");
        assertThat(webhookTeardown(project, new BuildRef.Branch("main"))).isEqualTo(OptionalLong.of(3));
        assertThat(deployments.all()).isEmpty();
    }

    @Test
    void aNameTakenWhileTheBuildRanIsRefusedAtTheRelease() {
        String main = repo.writeExample().commit("hello 1.0.0");
        repo.push("refs/heads/main");
        String underscore = repo.branch("main_").edit("web/server.py", "1.0.0", "6.6.6").commit("not production");
        repo.push("refs/heads/main_");
        // Production releases while branch main_ (slug main) is building: main_ checked before it built, in vain.
        RecordingContext context = new RecordingContext().beforeRelease(
                () -> build(new BuildRef.Branch("main"), main, new RecordingContext()));

        assertThatThrownBy(() -> build(new BuildRef.Branch("main_"), underscore, context))
                .isInstanceOf(BuildFailedException.class)
                .hasMessage("deployment name hello-main belongs to project hello, branch main; rename branch main_ of "
                        + "project hello");

        assertThat(context.phases()).contains(Phase.RELEASE);
        assertThat(manifests.top()).isEqualTo(1);
        assertThat(manifests.newest().orElseThrow().manifest().service("hello-main-web").orElseThrow().revision())
                .contains(main);
        assertThat(deployments.all()).extracting(Deployment::ref).containsExactly(new BuildRef.Branch("main"));
    }

    @Test
    void anEnvFileIsUsedOnTheProductionBranchOnly() {
        String commit = repo.writeExample().edit("flake.nix", "env.GREETING = \"hello\";",
                "env.GREETING = \"hello\"; envFile = \"/etc/hello/web.env\";").commit("secrets");
        repo.push("refs/heads/main");
        repo.branch("feature").push("refs/heads/feature");
        repo.push("refs/pull/5/head");
        RecordingContext production = new RecordingContext();
        build(new BuildRef.Branch("main"), commit, production);
        RecordingContext feature = new RecordingContext();
        build(new BuildRef.Branch("feature"), commit, feature);
        RecordingContext pr = new RecordingContext();
        build(new BuildRef.PullRequest(5, "main"), commit, pr);

        Manifest manifest = manifests.newest().orElseThrow().manifest();
        assertThat(manifest.service("hello-main-web").orElseThrow().envFile()).contains("/etc/hello/web.env");
        assertThat(production.logText()).doesNotContain("is not used");
        String line = "ferry: service web: envFile /etc/hello/web.env is not used: secrets go to the production "
                + "branch's deployment only\n";
        for (String name : List.of("hello-feature-web", "hello-pr-5-web")) {
            assertThat(manifest.service(name).orElseThrow().envFile()).as(name).isEmpty();
        }
        assertThat(feature.logText()).contains(line);
        assertThat(pr.logText()).contains(line);
        for (String name : List.of("hello-main-worker", "hello-feature-worker", "hello-pr-5-worker")) {
            assertThat(manifest.service(name).orElseThrow().envFile()).as(name).isEmpty();
        }
    }

    @Test
    void pullRequestsBuildFromRefsPullOrFromTheirHeadBranch() {
        repo.writeExample().commit("hello 1.0.0");
        repo.push("refs/heads/main");
        String pr = repo.branch("topic").edit("site/index.html", "<h1>hello</h1>", "<h1>hello, PR</h1>").commit("pr");
        repo.push("refs/pull/7/head");

        BuildResult seven = build(new BuildRef.PullRequest(7, "topic"), pr, new RecordingContext());

        assertThat(seven.generation()).isEqualTo(OptionalLong.of(1));
        assertThat(manifests.newest().orElseThrow().manifest().site("hello-pr-7-docs")).isPresent();
        assertThat(deployments.find("hello-pr-7").orElseThrow().ref()).isEqualTo(new BuildRef.PullRequest(7, "topic"));

        // A forge without refs/pull: the head branch is fetched instead.
        String eight = repo.branch("other").edit("site/index.html", "hello, PR", "hello, PR 8").commit("pr 8");
        repo.push("refs/heads/other");
        RecordingContext context = new RecordingContext();
        build(new BuildRef.PullRequest(8, "other"), eight, context);
        assertThat(context.logText()).contains("fetching the head branch other instead");
        assertThat(deployments.find("hello-pr-8")).isPresent();

        assertThat(webhookTeardown(project, new BuildRef.PullRequest(7, "topic"))).isPresent();
        assertThat(manifests.newest().orElseThrow().manifest().site("hello-pr-7-docs")).isEmpty();
    }

    @Test
    void anEvaluationErrorFailsWithNixsMessageAndWritesNoGeneration() {
        String commit = repo.writeExample().edit("flake.nix", "services.worker = {",
                "services.broken = throw \"the config is broken on purpose\";\n        services.worker = {")
                .commit("broken");
        repo.push("refs/heads/main");
        RecordingContext context = new RecordingContext();

        assertThatThrownBy(() -> build(new BuildRef.Branch("main"), commit, context))
                .isInstanceOf(BuildFailedException.class)
                .hasMessageContaining("evaluating the project config failed")
                .hasMessageContaining("the config is broken on purpose");
        assertThat(context.logText()).contains("error: the config is broken on purpose");
        assertThat(context.phases()).containsExactly(Phase.FETCH, Phase.EVAL);
        assertNothingReleased();
    }

    @Test
    void aBuildErrorFailsWithNixsMessageAndWritesNoGeneration() {
        String commit = repo.writeExample().edit("flake.nix", "mkdir -p $out/bin\n          cp ${./worker/worker.sh}",
                "echo 'the compiler exploded' >&2; exit 3\n          cp ${./worker/worker.sh}").commit("broken build");
        repo.push("refs/heads/main");
        RecordingContext context = new RecordingContext();

        assertThatThrownBy(() -> build(new BuildRef.Branch("main"), commit, context))
                .isInstanceOf(BuildFailedException.class)
                .hasMessageContaining("nix build failed")
                .hasMessageContaining("hello-worker");
        assertThat(context.logText()).contains("the compiler exploded").contains("error: builder for");
        assertThat(context.phases()).containsExactly(Phase.FETCH, Phase.EVAL, Phase.BUILD);
        assertNothingReleased();
    }

    @Test
    void anInvalidConfigFailsNamingTheField() {
        String commit = repo.writeExample().edit("flake.nix", "exec = \"bin/hello-worker\";", "exec = 5;")
                .commit("bad config");
        repo.push("refs/heads/main");

        assertThatThrownBy(() -> build(new BuildRef.Branch("main"), commit, new RecordingContext()))
                .isInstanceOf(ProjectConfigException.class)
                .hasMessage("services.worker.exec: expected a string, found a number");
        assertNothingReleased();
    }

    @Test
    void aProgramMissingFromItsPackageFailsTheBuild() {
        String commit = repo.writeExample().edit("flake.nix", "exec = \"bin/hello-worker\";", "exec = \"bin/nope\";")
                .commit("wrong exec");
        repo.push("refs/heads/main");

        assertThatThrownBy(() -> build(new BuildRef.Branch("main"), commit, new RecordingContext()))
                .isInstanceOf(ProjectConfigException.class)
                .hasMessageStartingWith("services.worker.exec: ")
                .hasMessageContaining("bin/nope is not an executable file");
        assertNothingReleased();
    }

    @Test
    void aCommitThatIsNotOnTheBranchIsAClearFailure() {
        repo.writeExample().commit("hello");
        repo.push("refs/heads/main");
        String missing = "0123456789abcdef0123456789abcdef01234567";

        assertThatThrownBy(() -> build(new BuildRef.Branch("main"), missing, new RecordingContext()))
                .isInstanceOf(BuildFailedException.class)
                .hasMessage("commit " + missing + " is not in branch main of " + repo.url());
        assertNothingReleased();
    }

    @Test
    void aCancelledReleaseWritesNothing() {
        String commit = repo.writeExample().commit("hello");
        repo.push("refs/heads/main");

        assertThatThrownBy(() -> build(new BuildRef.Branch("main"), commit, new RecordingContext().refuseRelease()))
                .isInstanceOf(BuildFailedException.class).hasMessageContaining("cancelled before the release");
        assertNothingReleased();
    }

    @Test
    void cancellingDuringNixBuildKillsNixAndWritesNothing() throws Exception {
        // A package that sleeps; the unique duration finds its process (and makes the derivation new).
        String sleep = "900." + Math.floorMod(UUID.randomUUID().getLeastSignificantBits(), 1_000_000_000L);
        String commit = repo.writeExample().edit("flake.nix", "mkdir -p $out/bin\n          cp ${./worker/worker.sh}",
                "/bin/sleep " + sleep + "\n          mkdir -p $out/bin\n"
                        + "          cp ${./worker/worker.sh}").commit("slow");
        repo.push("refs/heads/main");
        RecordingContext context = new RecordingContext();
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        boolean[] interrupted = new boolean[1];
        Thread thread = Thread.ofPlatform().start(() -> {
            try {
                build(new BuildRef.Branch("main"), commit, context);
            } catch (Throwable e) {
                thrown.set(e);
                interrupted[0] = Thread.currentThread().isInterrupted();
            }
        });
        while (Processes.with(sleep).isEmpty() && thread.isAlive()) {
            Thread.sleep(20);
        }
        assertThat(thread.isAlive()).as("the build is still running").isTrue();
        assertThat(Processes.in(dir.resolve("data/work"))).as("nix running in the checkout").isNotEmpty();

        long cancel = System.nanoTime();
        thread.interrupt();
        thread.join(Duration.ofSeconds(30));
        long cancelMillis = Duration.ofNanos(System.nanoTime() - cancel).toMillis();
        System.out.println("cancel during nix build: the build returned " + cancelMillis + " ms after the interrupt");

        assertThat(thread.isAlive()).isFalse();
        assertThat(thrown.get()).isInstanceOf(BuildFailedException.class).hasMessageContaining("cancelled");
        assertThat(interrupted[0]).as("the interrupt status is kept for the queue").isTrue();
        assertThat(Processes.with(sleep)).as("the builder's processes").isEmpty();
        assertThat(Processes.in(dir.resolve("data/work"))).as("processes left in the checkout").isEmpty();
        assertThat(context.phases()).containsExactly(Phase.FETCH, Phase.EVAL, Phase.BUILD);
        assertNothingReleased();
    }

    /** The example committed and pushed to main, and built and released there (deployment hello-main). */
    private String releaseMain() {
        String main = repo.writeExample().commit("hello 1.0.0");
        repo.push("refs/heads/main");
        build(new BuildRef.Branch("main"), main, new RecordingContext());
        return main;
    }

    private BuildResult build(BuildRef ref, String commit, RecordingContext context) {
        return pipeline.build(new BuildRequest(++buildIds, project, ref, commit,
                BuildRequest.CommitCheck.AS_GIVEN), context);
    }

    /** A build as a webhook's push asks for it: the commit must be the branch's head. */
    private BuildResult webhookBuild(String branch, String commit, RecordingContext context) {
        return pipeline.build(new BuildRequest(++buildIds, project, new BuildRef.Branch(branch), commit,
                BuildRequest.CommitCheck.BRANCH_HEAD), context);
    }

    /**
     * A teardown as a webhook asks for it: a branch's only once the branch is gone from the remote, a pull request's
     * as asked.
     */
    private OptionalLong webhookTeardown(Project of, BuildRef ref) {
        return pipeline.teardown(TeardownRequest.of(of, ref, ref instanceof BuildRef.Branch
                ? TeardownRequest.RefCheck.BRANCH_GONE : TeardownRequest.RefCheck.AS_ASKED));
    }

    private void assertNothingReleased() {
        assertThat(manifests.top()).isZero();
        assertThat(deployments.all()).isEmpty();
        try (Stream<Path> work = Files.list(dir.resolve("data/work"))) {
            assertThat(work.toList()).as("checkouts left behind").isEmpty();
        } catch (java.nio.file.NoSuchFileException e) {
            // no checkout was ever made
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** {@code nix build --no-link --json <clone>#<package>}: the reference outputs, by package name. */
    private Map<String, String> nixBuild(Path clone, String... packages) throws IOException {
        Map<String, String> outputs = new TreeMap<>();
        for (String name : packages) {
            String json = runner.run(Command.of("nix", "build", "--no-link", "--json", clone + "#" + name)
                    .directory(clone)).stdout();
            JsonNode first = JSON.readTree(json).get(0);
            outputs.put(name, first.path("outputs").path("out").asText());
        }
        return outputs;
    }

    /** Starts {@code <web>/bin/hello-web} on a free port and GETs each path once it answers. */
    private static List<String> httpGet(String web, String... paths) throws Exception {
        int port = dev.ferry.testkit.TestEnv.freePorts(1)[0];
        ProcessBuilder builder = new ProcessBuilder(web + "/bin/hello-web").redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD);
        builder.environment().put("PORT", Integer.toString(port));
        builder.environment().put("GREETING", "hello");
        Process process = builder.start();
        try (java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient()) {
            List<String> bodies = new java.util.ArrayList<>();
            for (String path : paths) {
                java.net.http.HttpRequest request = java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create("http://127.0.0.1:" + port + path)).build();
                String body = null;
                for (int attempt = 0; body == null && attempt < 200; attempt++) {
                    try {
                        body = client.send(request, java.net.http.HttpResponse.BodyHandlers.ofString()).body();
                    } catch (java.net.ConnectException e) {
                        Thread.sleep(25);
                    }
                }
                bodies.add(body);
            }
            return bodies;
        } finally {
            process.destroyForcibly().waitFor();
        }
    }
}
