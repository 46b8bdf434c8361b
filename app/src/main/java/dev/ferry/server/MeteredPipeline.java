package dev.ferry.server;

import dev.ferry.builder.BuildContext;
import dev.ferry.builder.BuildFailedException;
import dev.ferry.builder.BuildPipeline;
import dev.ferry.builder.BuildRef;
import dev.ferry.builder.BuildRequest;
import dev.ferry.builder.BuildResult;
import dev.ferry.builder.Phase;
import dev.ferry.builder.Project;
import java.io.OutputStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.OptionalLong;

/**
 * The server's build pipeline, timed for {@link Metrics} (each phase, and how each build ended) and logged: one line
 * per build when it ends, with its id, project, outcome and generation.
 */
final class MeteredPipeline implements BuildPipeline {
    private static final System.Logger LOG = System.getLogger(MeteredPipeline.class.getName());

    private final BuildPipeline pipeline;
    private final Metrics metrics;
    private final Clock clock;

    MeteredPipeline(BuildPipeline pipeline, Metrics metrics, Clock clock) {
        this.pipeline = pipeline;
        this.metrics = metrics;
        this.clock = clock;
    }

    @Override
    public BuildResult build(BuildRequest request, BuildContext context) {
        Timed timed = new Timed(context);
        String what = "build " + request.buildId() + " (" + request.project().name() + " " + request.commit() + ")";
        LOG.log(System.Logger.Level.INFO, what + ": started");
        try {
            BuildResult result = pipeline.build(request, timed);
            timed.close();
            metrics.buildEnded("succeeded");
            LOG.log(System.Logger.Level.INFO, what + ": succeeded" + result.generation().stream()
                    .mapToObj(g -> ", generation " + g).findFirst().orElse(", no new generation"));
            return result;
        } catch (RuntimeException e) {
            timed.close();
            // The pipeline ends a cancelled build with "cancelled ..." (or is interrupted); the queue decides the
            // recorded status the same way.
            String status = e instanceof BuildFailedException failed && (Thread.currentThread().isInterrupted()
                    || failed.getMessage().startsWith("cancelled")) ? "cancelled" : "failed";
            metrics.buildEnded(status);
            LOG.log(System.Logger.Level.INFO, what + ": " + status + ": " + e.getMessage());
            throw e;
        }
    }

    @Override
    public OptionalLong teardown(Project project, BuildRef ref) {
        OptionalLong generation = pipeline.teardown(project, ref);
        LOG.log(System.Logger.Level.INFO, "teardown of " + project.name() + " " + ref + generation.stream()
                .mapToObj(g -> ": generation " + g).findFirst().orElse(": nothing to remove"));
        return generation;
    }

    /** The build's context, recording how long each phase it enters lasts. */
    private final class Timed implements BuildContext {
        private final BuildContext context;
        private Phase phase;
        private Instant since;

        Timed(BuildContext context) {
            this.context = context;
        }

        @Override
        public void enter(Phase next) {
            close();
            context.enter(next);
            phase = next;
            since = clock.instant();
        }

        @Override
        public OutputStream log() {
            return context.log();
        }

        @Override
        public boolean beginRelease() {
            close();
            boolean go = context.beginRelease();
            if (go) {
                phase = Phase.RELEASE;
                since = clock.instant();
            }
            return go;
        }

        /** Ends the current phase. */
        void close() {
            if (phase != null) {
                metrics.phase(phase.id(), Duration.between(since, clock.instant()));
                phase = null;
            }
        }
    }
}
