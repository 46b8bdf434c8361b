package dev.ferry.server;

import dev.ferry.builder.BuildContext;
import dev.ferry.builder.BuildPipeline;
import dev.ferry.builder.BuildQueue;
import dev.ferry.builder.BuildRecord;
import dev.ferry.builder.BuildRequest;
import dev.ferry.builder.BuildResult;
import dev.ferry.builder.Phase;
import dev.ferry.builder.TeardownRequest;
import java.io.OutputStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.OptionalLong;

/**
 * The server's build pipeline, timed for {@link Metrics} (each phase) and logged when a build starts; {@link #ended}
 * counts and logs how each ended, as the build queue recorded it.
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
        LOG.log(System.Logger.Level.INFO, "build " + request.buildId() + " (" + request.project().name() + " "
                + request.ref().describe() + " " + request.commit() + "): started");
        Timed timed = new Timed(context);
        try {
            return pipeline.build(request, timed);
        } finally {
            timed.close();
        }
    }

    /**
     * What the build queue tells when a build has ended: counted by the status it recorded (a build the pipeline
     * ended with an error may still be recorded cancelled, and one stopped by a shutdown is not ended at all), and
     * logged.
     */
    static BuildQueue.Ended ended(Metrics metrics) {
        return (record, status, error, generation) -> {
            if (record.action() == BuildRecord.Action.BUILD) {
                metrics.buildEnded(status.id());
            }
            LOG.log(System.Logger.Level.INFO, record.action().name().toLowerCase(java.util.Locale.ROOT) + " "
                    + record.id() + " (" + record.project() + " " + record.ref().describe()
                    + record.commit().map(c -> " " + c).orElse("") + "): "
                    + status.id() + error.map(e -> ": " + e).orElse("") + generation.stream()
                    .mapToObj(g -> ", generation " + g).findFirst().orElse(""));
        };
    }

    @Override
    public OptionalLong teardown(TeardownRequest request) {
        return pipeline.teardown(request); // logged with its end, by ended()
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
