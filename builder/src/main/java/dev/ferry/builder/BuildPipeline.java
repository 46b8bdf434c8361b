package dev.ferry.builder;

import java.util.OptionalLong;

/** The work of one build, run by the queue on its own thread: fetch, eval, build, publish, release. */
public interface BuildPipeline {

    /**
     * Builds and releases one commit. Throws {@link BuildFailedException} (message for the user) when the build
     * fails; the thread's interrupt status means it was cancelled.
     */
    BuildResult build(BuildRequest request, BuildContext context);

    /** Removes the deployment of {@code ref} (branch deleted, pull request closed): the generation written, if any. */
    OptionalLong teardown(Project project, BuildRef ref);
}
