package dev.ferry.server;

import dev.ferry.builder.BuildContext;
import dev.ferry.builder.BuildFailedException;
import dev.ferry.builder.BuildPipeline;
import dev.ferry.builder.BuildPipelines;
import dev.ferry.builder.BuildRequest;
import dev.ferry.builder.BuildResult;
import dev.ferry.builder.DeploymentStore;
import dev.ferry.builder.PipelineSettings;
import dev.ferry.builder.TeardownRequest;
import dev.ferry.cache.Storage;
import dev.ferry.nix.SecretKey;
import dev.ferry.process.ProcessRunner;
import java.util.OptionalLong;

/** Makes the {@link BuildPipeline} the server's queue runs, from what the server opened. */
@FunctionalInterface
public interface PipelineFactory {

    /**
     * What a pipeline may use: the server's settings and data directory, the cache storage and the key that signs
     * narinfos and manifests, and the deployments table.
     */
    record Resources(ServerConfig config, BuilderSettings settings, Storage storage, SecretKey signingKey,
                     DeploymentStore deployments) {
    }

    BuildPipeline create(Resources resources);

    /** The real pipeline (checkout, evaluation, nix build, publish, release) with {@code settings}. */
    static PipelineFactory nix(PipelineSettings settings) {
        return nix(settings, ProcessRunner.local());
    }

    /** The real pipeline, running git and nix through {@code runner} (the tests add their offline Nix settings). */
    static PipelineFactory nix(PipelineSettings settings, ProcessRunner runner) {
        return resources -> BuildPipelines.create(settings, resources.storage(), resources.signingKey(),
                resources.config().trustedKeys(), resources.deployments(), runner);
    }

    /** {@code pipeline}, telling {@code notifier} of every generation its builds and teardowns write. */
    static BuildPipeline announcing(BuildPipeline pipeline, GenerationNotifier notifier) {
        return new BuildPipeline() {
            @Override
            public BuildResult build(BuildRequest request, BuildContext context) {
                BuildResult result = pipeline.build(request, context);
                result.generation().ifPresent(notifier::written);
                return result;
            }

            @Override
            public OptionalLong teardown(TeardownRequest request) {
                OptionalLong written = pipeline.teardown(request);
                written.ifPresent(notifier::written);
                return written;
            }
        };
    }

    /** Until the pipeline is wired in: every build fails saying so, teardowns change nothing. */
    static PipelineFactory unavailable() {
        return resources -> new BuildPipeline() {
            @Override
            public BuildResult build(BuildRequest request, BuildContext context) {
                throw new BuildFailedException("this Ferry has no build pipeline wired in yet");
            }

            @Override
            public OptionalLong teardown(TeardownRequest request) {
                return OptionalLong.empty();
            }
        };
    }
}
