package dev.ferry.builder;

import dev.ferry.cache.ManifestVerifier;
import dev.ferry.cache.Storage;
import dev.ferry.nix.PublicKey;
import dev.ferry.nix.SecretKey;
import dev.ferry.process.ProcessRunner;
import java.time.Clock;
import java.util.Collection;
import java.util.List;

/** Creates the build pipeline the queue runs. */
public final class BuildPipelines {
    private BuildPipelines() {
    }

    /**
     * The pipeline: checkouts under {@code settings.dataDir()}, closures published to {@code cache} and signed with
     * {@code key}, manifest generations written next to them (the newest verified against {@code key}'s public half
     * and {@code alsoTrusted}, e.g. the key before a rotation), deployments recorded in {@code deployments}.
     */
    public static BuildPipeline create(PipelineSettings settings, Storage cache, SecretKey key,
                                       Collection<PublicKey> alsoTrusted, DeploymentStore deployments,
                                       ProcessRunner runner) {
        return new DefaultBuildPipeline(settings, cache, key,
                ManifestVerifier.trusting(ManifestVerifier.withOwnKey(alsoTrusted, key.publicKey())), deployments, runner,
                dev.ferry.process.Programs::onPath, Clock.systemUTC());
    }

    /** As above, trusting only {@code key}'s own public half. */
    public static BuildPipeline create(PipelineSettings settings, Storage cache, SecretKey key,
                                       DeploymentStore deployments, ProcessRunner runner) {
        return create(settings, cache, key, List.of(), deployments, runner);
    }
}
