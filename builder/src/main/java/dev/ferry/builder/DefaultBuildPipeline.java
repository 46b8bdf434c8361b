package dev.ferry.builder;

import dev.ferry.cache.BinaryCache;
import dev.ferry.cache.LocalNixStore;
import dev.ferry.cache.Manifest;
import dev.ferry.cache.ManifestStore;
import dev.ferry.cache.ManifestVerifier;
import dev.ferry.cache.PathInfo;
import dev.ferry.cache.Publisher;
import dev.ferry.cache.Storage;
import dev.ferry.nix.SecretKey;
import dev.ferry.nix.StorePath;
import dev.ferry.process.ProcessRunner;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.UnaryOperator;

/** The build pipeline: fetch, eval, build, publish, release (see {@code docs/project-config.md}). */
final class DefaultBuildPipeline implements BuildPipeline {
    private static final System.Logger LOG = System.getLogger(DefaultBuildPipeline.class.getName());
    private static final int PUBLISH_JOBS = 2;

    private final PipelineSettings settings;
    private final Checkout checkout;
    private final NixProject nix;
    private final Publisher publisher;
    private final ManifestStore manifests;
    private final SecretKey key;
    private final ManifestVerifier trusted;
    private final DeploymentStore deployments;
    private final Clock clock;
    /** One release at a time: the manifest and the deployments table change together. */
    private final ReentrantLock releases = new ReentrantLock();

    DefaultBuildPipeline(PipelineSettings settings, Storage cache, SecretKey key, ManifestVerifier trusted,
                         DeploymentStore deployments, ProcessRunner runner, java.util.function.Predicate<String> onPath,
                         Clock clock) {
        this.settings = settings;
        this.checkout = new Checkout(settings.dataDir());
        this.nix = new NixProject(runner, settings, onPath);
        this.publisher = new Publisher(new BinaryCache(cache), new LocalNixStore(runner), settings.compression(),
                PUBLISH_JOBS);
        this.manifests = ManifestStore.create(cache);
        this.key = key;
        this.trusted = trusted;
        this.deployments = deployments;
        this.clock = clock;
    }

    @Override
    public BuildResult build(BuildRequest request, BuildContext context) {
        BuildLog log = new BuildLog(context.log());
        String deployment = request.ref().deploymentName(request.project());
        log.line("deployment " + deployment); // the queue's first line says which build, ref and commit
        try {
            // Checked again under the release lock; here so that a build that cannot be released does not run.
            checkOwner(deployments.find(deployment), request.project(), request.ref());
            context.enter(Phase.FETCH);
            long start = System.nanoTime();
            Path dir = checkout.checkout(request, log);
            log.line("checked out " + request.commit() + " in " + millis(start));
            cancelled("after the checkout");

            context.enter(Phase.EVAL);
            start = System.nanoTime();
            String flake = nix.lock(dir, log);
            ProjectConfig config = nix.config(dir, flake, log);
            Map<String, NixProject.Package> packages = nix.resolve(dir, flake, config.packages(), log);
            log.line("evaluated " + config.services().size() + " service(s), " + config.sites().size()
                    + " site(s), " + packages.size() + " package(s) in " + millis(start));
            Release.withheld(request.project(), request.ref(), config).forEach(log::line);
            cancelled("after the evaluation");

            context.enter(Phase.BUILD);
            start = System.nanoTime();
            nix.build(dir, packages.values(), log);
            Map<String, StorePath> outputs = new LinkedHashMap<>();
            packages.forEach((name, p) -> outputs.put(name, p.out()));
            outputs.forEach((name, path) -> log.line("built " + name + ": " + path));
            checkPrograms(config, outputs);
            log.line("built in " + millis(start));
            cancelled("after nix build");

            context.enter(Phase.PUBLISH);
            start = System.nanoTime();
            publish(outputs, log);
            log.line("published in " + millis(start));

            if (!context.beginRelease()) {
                throw cancellation("before the release");
            }
            start = System.nanoTime();
            Release release = Release.plan(request.project(), request.ref(), request.commit(), config, outputs,
                    settings.ephemeralDomain());
            OptionalLong generation = release(release, request);
            log.line(generation.isPresent() ? "released generation " + generation.getAsLong() + " in " + millis(start)
                    : "released: the manifest already deploys this; no new generation");
            if (!release.domains().isEmpty()) {
                // The hosts' Caddy routes them, at its ferry.deployer.caddy-listen address: port 80 only if so.
                log.line("routed by each host's Caddy (ferry.deployer.caddy-listen) for: "
                        + String.join(", ", release.domains()));
            }
            Map<String, String> result = new LinkedHashMap<>();
            outputs.forEach((name, path) -> result.put(name, path.absolute()));
            return new BuildResult(result, generation);
        } catch (StaleRequestException e) {
            log.line(e.getMessage());
            throw e;
        } catch (BuildFailedException e) {
            log.line("build failed: " + e.getMessage());
            throw e;
        } catch (RuntimeException e) {
            if (Thread.currentThread().isInterrupted()) {
                log.line("build cancelled");
                throw new BuildFailedException("cancelled", e);
            }
            log.line("build failed: " + e.getMessage());
            throw new BuildFailedException(String.valueOf(e.getMessage()), e);
        } finally {
            try {
                checkout.remove(request.buildId());
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "could not remove the checkout of build {0}: {1}",
                        request.buildId(), e.getMessage());
            }
        }
    }

    @Override
    public OptionalLong teardown(TeardownRequest request) {
        String deployment = request.deployment();
        BuildRef ref = request.ref();
        // Before the release lock: it asks the remote. Also when the branch has no deployment yet: an old delete sent
        // again must not pass for a real one, since it may have taken the place of the branch's first build.
        if (request.check() == TeardownRequest.RefCheck.BRANCH_GONE && (request.configured().isPresent()
                || deployments.find(deployment).filter(d -> d.belongsTo(request.project(), ref)).isPresent())) {
            requireDeleted(request, (BuildRef.Branch) ref);
        }
        releases.lock();
        try {
            Optional<Deployment> existing = deployments.find(deployment);
            if (existing.isEmpty()) {
                LOG.log(System.Logger.Level.INFO, "teardown of {0} of project {1}: no deployment {2} is recorded; "
                        + "nothing to remove", ref.describe(), request.project(), deployment);
                return OptionalLong.empty();
            }
            if (!existing.get().belongsTo(request.project(), ref)) {
                LOG.log(System.Logger.Level.WARNING, "teardown of {0} of project {1}: deployment {2} belongs to "
                        + "project {3}, {4}; it is left as it is", ref.describe(), request.project(), deployment,
                        existing.get().project(), existing.get().ref().describe());
                return OptionalLong.empty();
            }
            Set<String> owned = owned(existing.get());
            ManifestStore.Update update = manifests.update(key, trusted, "teardown " + deployment,
                    base -> Release.remove(base, owned));
            deployments.delete(deployment);
            if (!update.written()) {
                LOG.log(System.Logger.Level.INFO, "teardown of {0} of project {1}: the manifest had none of "
                        + "deployment {2}''s entries any more; its record is removed", ref.describe(),
                        request.project(), deployment);
            }
            return update.written() ? OptionalLong.of(update.generation().generation()) : OptionalLong.empty();
        } finally {
            releases.unlock();
        }
    }

    /**
     * Fails unless the branch is gone from the remote: a delete delivery's signature covers only its body, so an old
     * one can be sent again while the branch lives.
     */
    private void requireDeleted(TeardownRequest request, BuildRef.Branch branch) {
        Project project = request.configured().orElseThrow(() -> new BuildFailedException("not torn down: project "
                + request.project() + " is not configured any more, so whether branch " + branch.name() + " still "
                + "exists cannot be read; remove deployment " + request.deployment() + " with DELETE "
                + "/v1/deployments/" + request.deployment()));
        Optional<String> head;
        try {
            head = checkout.remoteHead(project, branch.name());
        } catch (BuildFailedException e) {
            throw new BuildFailedException("not torn down: whether branch " + branch.name() + " still exists cannot "
                    + "be read: " + e.getMessage(), e);
        }
        if (head.isPresent()) {
            // With the head, the queue builds it if this teardown took a build's place.
            throw new StaleRequestException("not torn down: branch " + branch.name() + " still exists at "
                    + Checkout.abbreviate(head.get()), head.get());
        }
    }

    private void publish(Map<String, StorePath> outputs, BuildLog log) {
        Publisher.Plan plan = publisher.plan(new ArrayList<>(new java.util.TreeSet<>(outputs.values())));
        log.line("publishing: " + plan.toUpload().size() + " path(s) to upload (" + plan.narBytes()
                + " NAR bytes), " + plan.present().size() + " already in the cache");
        Publisher.Summary summary = publisher.execute(plan, key, new Publisher.Listener() {
            @Override
            public void published(PathInfo path, dev.ferry.cache.BinaryCache.UploadedNar nar) {
                log.line("published " + path.path() + " (" + nar.nar().narSize() + " bytes, " + nar.fileSize()
                        + " compressed)");
            }

            @Override
            public void failed(PathInfo path, Throwable error) {
                log.line("publishing " + path.path() + " failed: " + error.getMessage());
            }
        });
        if (Thread.currentThread().isInterrupted()) {
            throw cancellation("while publishing");
        }
        if (!summary.ok()) {
            throw new BuildFailedException("publishing failed for " + summary.failures().size() + " path(s): "
                    + summary.failures().getFirst().path() + ": " + summary.failures().getFirst().message());
        }
    }

    /** Writes the manifest generation (if anything changed) and then the deployment's row. */
    private OptionalLong release(Release release, BuildRequest request) {
        releases.lock();
        try {
            Optional<Deployment> previous = deployments.find(release.deployment());
            checkOwner(previous, request.project(), request.ref());
            Set<String> owned = previous.map(DefaultBuildPipeline::owned).orElse(Set.of());
            for (Deployment other : deployments.all()) {
                if (other.name().equals(release.deployment())) {
                    continue;
                }
                for (String name : release.names()) {
                    if (owned(other).contains(name)) {
                        throw new BuildFailedException("the manifest name " + name + " is taken by deployment "
                                + other.name() + " (rename the service or site)");
                    }
                }
            }
            UnaryOperator<Manifest> change = release.change(owned);
            ManifestStore.Update update = manifests.update(key, trusted, "build " + request.buildId() + ": "
                    + release.deployment() + " at " + request.commit(), base -> {
                        Manifest after = change.apply(base);
                        release.clash(after).ifPresent(c -> {
                            throw new BuildFailedException("the route " + c.route() + " of " + c.entry()
                                    + " is already served by " + c.holder() + holderOf(c.holder()) + ": a domain "
                                    + "and path route to one service (check customDomain in the Ferry config); "
                                    + "nothing was released");
                        });
                        return after;
                    });
            long generation = update.written() ? update.generation().generation()
                    : previous.map(Deployment::generation).orElse(update.generation().generation());
            List<String> services = release.services().stream().map(s -> s.name()).toList();
            List<String> sites = release.sites().stream().map(s -> s.name()).toList();
            deployments.save(new Deployment(release.deployment(), request.project().name(), request.ref(),
                    request.commit(), request.buildId(), generation, services, sites, release.domains(),
                    clock.instant()));
            return update.written() ? OptionalLong.of(update.generation().generation()) : OptionalLong.empty();
        } finally {
            releases.unlock();
        }
    }

    /** ", of deployment D (project P, branch B)", or how an entry no build made got there. */
    private String holderOf(String entry) {
        return deployments.all().stream().filter(d -> owned(d).contains(entry)).findFirst()
                .map(d -> ", of deployment " + d.name() + " (project " + d.project() + ", " + d.ref().describe() + ")")
                .orElse(", which no build of this server deployed (written with ferry manifest set-service?)");
    }

    /** Every program a service runs exists in its package's output and is executable. */
    private static void checkPrograms(ProjectConfig config, Map<String, StorePath> outputs) {
        for (ProjectConfig.ServiceConfig s : config.services().values()) {
            Path program = Path.of(Manifest.Exec.program(s.exec(), outputs.get(s.packageName())));
            if (!dev.ferry.process.Programs.isExecutableFile(program)) {
                throw new ProjectConfigException("services." + s.name() + ".exec: " + program
                        + " is not an executable file in the output of package '" + s.packageName() + "'");
            }
        }
    }

    /**
     * Fails the build if {@code existing} (the row of the deployment name this build would release) is another
     * project's or ref's: releasing would replace its entries (production's, say) with this build's.
     */
    static void checkOwner(Optional<Deployment> existing, Project project, BuildRef ref) {
        if (existing.isPresent() && !existing.get().belongsTo(project.name(), ref)) {
            Deployment owner = existing.get();
            // Of the two, a pull request cannot be renamed; a branch can.
            String rename = ref instanceof BuildRef.Branch || !(owner.ref() instanceof BuildRef.Branch)
                    ? ref.describe() + " of project " + project.name()
                    : owner.ref().describe() + " of project " + owner.project();
            throw new BuildFailedException("deployment name " + owner.name() + " belongs to project "
                    + owner.project() + ", " + owner.ref().describe() + "; rename " + rename);
        }
    }

    private static Set<String> owned(Deployment deployment) {
        Set<String> names = new HashSet<>(deployment.services());
        names.addAll(deployment.sites());
        return names;
    }

    private static void cancelled(String when) {
        if (Thread.currentThread().isInterrupted()) {
            throw cancellation(when);
        }
    }

    private static BuildFailedException cancellation(String when) {
        return new BuildFailedException("cancelled " + when);
    }

    private static String millis(long startNanos) {
        return Duration.ofNanos(System.nanoTime() - startNanos).toMillis() + " ms";
    }
}
