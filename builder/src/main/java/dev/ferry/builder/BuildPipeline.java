package dev.ferry.builder;

import java.util.OptionalLong;

/** The work of one build, run by the queue on its own thread: fetch, eval, build, publish, release. */
public interface BuildPipeline {

    /**
     * Builds and releases one commit. Throws {@link BuildFailedException} (message for the user) when the build
     * fails; the thread's interrupt status means it was cancelled.
     */
    BuildResult build(BuildRequest request, BuildContext context);

    /**
     * Removes the deployment of the request's ref (branch deleted, pull request closed, or asked for through the
     * API) if that ref owns it: the generation written, if any. Throws {@link StaleRequestException} when the
     * request's check contradicts it, {@link BuildFailedException} when it cannot be done.
     */
    OptionalLong teardown(TeardownRequest request);
}
