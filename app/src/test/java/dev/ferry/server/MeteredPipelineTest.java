package dev.ferry.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ferry.builder.BuildContext;
import dev.ferry.builder.BuildFailedException;
import dev.ferry.builder.BuildPipeline;
import dev.ferry.builder.BuildQueue;
import dev.ferry.builder.BuildRecord;
import dev.ferry.builder.BuildStatus;
import dev.ferry.builder.BuildRef;
import dev.ferry.builder.BuildRequest;
import dev.ferry.builder.BuildResult;
import dev.ferry.builder.Phase;
import dev.ferry.builder.Project;
import dev.ferry.builder.TeardownRequest;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class MeteredPipelineTest {
    private final MetricsTest.ManualClock clock = new MetricsTest.ManualClock();
    private final Metrics metrics = new Metrics(clock);
    private final List<Phase> entered = new ArrayList<>();
    private final BuildContext context = new BuildContext() {
        @Override
        public void enter(Phase phase) {
            entered.add(phase);
        }

        @Override
        public OutputStream log() {
            return OutputStream.nullOutputStream();
        }

        @Override
        public boolean beginRelease() {
            entered.add(Phase.RELEASE);
            return true;
        }
    };

    private BuildResult run(String outcome) {
        BuildPipeline fake = new BuildPipeline() {
            @Override
            public BuildResult build(BuildRequest request, BuildContext context) {
                context.enter(Phase.FETCH);
                clock.now = clock.now.plusSeconds(2);
                context.enter(Phase.BUILD);
                clock.now = clock.now.plusSeconds(30);
                switch (outcome) {
                    case "failed" -> throw new BuildFailedException("nix build failed");
                    case "cancelled" -> throw new BuildFailedException("cancelled while building");
                    case "internal" -> throw new IllegalStateException("bug");
                    default -> { }
                }
                context.beginRelease();
                clock.now = clock.now.plusSeconds(1);
                return new BuildResult(Map.of(), OptionalLong.of(4));
            }

            @Override
            public OptionalLong teardown(TeardownRequest request) {
                return OptionalLong.empty();
            }
        };
        return new MeteredPipeline(fake, metrics, clock).build(new BuildRequest(7,
                new Project("shop", "https://x/shop.git", "main"), new BuildRef.Branch("main"), "abc",
                BuildRequest.CommitCheck.AS_GIVEN), context);
    }

    @Test
    void eachPhaseIsTimedAndPassedOnWhateverTheOutcome() {
        assertThat(run("succeeded").generation()).hasValue(4);
        assertThat(entered).containsExactly(Phase.FETCH, Phase.BUILD, Phase.RELEASE);
        assertThatThrownBy(() -> run("failed")).hasMessage("nix build failed");
        assertThatThrownBy(() -> run("cancelled")).hasMessage("cancelled while building");
        assertThatThrownBy(() -> run("internal")).hasMessage("bug");
        assertThat(metrics.render()).contains(
                "ferry_build_phase_seconds_count{phase=\"fetch\"} 4\nferry_build_phase_seconds_sum{phase=\"fetch\"} 8.0\n",
                "ferry_build_phase_seconds_count{phase=\"build\"} 4\nferry_build_phase_seconds_sum{phase=\"build\"} 120.0\n",
                "ferry_build_phase_seconds_count{phase=\"release\"} 1\nferry_build_phase_seconds_sum{phase=\"release\"} 1.0\n")
                .doesNotContain("ferry_builds_total{");
    }

    @Test
    void buildsAreCountedByTheStatusTheQueueRecordedTeardownsNot() {
        BuildQueue.Ended ended = MeteredPipeline.ended(metrics);
        BuildRecord build = record(BuildRecord.Action.BUILD);
        ended.ended(build, BuildStatus.SUCCEEDED, Optional.empty(), OptionalLong.of(4));
        // The pipeline threw "nix build failed" while a newer push cancelled it: the queue recorded cancelled.
        ended.ended(build, BuildStatus.CANCELLED, Optional.of("superseded by build 9"), OptionalLong.empty());
        ended.ended(build, BuildStatus.FAILED, Optional.of("nix build failed"), OptionalLong.empty());
        ended.ended(record(BuildRecord.Action.TEARDOWN), BuildStatus.SUCCEEDED, Optional.empty(), OptionalLong.of(5));
        assertThat(metrics.render()).contains(
                "ferry_builds_total{status=\"cancelled\"} 1\n",
                "ferry_builds_total{status=\"failed\"} 1\n",
                "ferry_builds_total{status=\"succeeded\"} 1\n");
    }

    private BuildRecord record(BuildRecord.Action action) {
        return new BuildRecord(7, "shop", action, new BuildRef.Branch("main"),
                action == BuildRecord.Action.BUILD ? Optional.of("abc") : Optional.empty(), BuildStatus.QUEUED,
                Optional.of(Phase.QUEUED), List.of(), Map.of(), OptionalLong.empty(), Optional.empty(),
                BuildRecord.Trigger.API, Optional.empty(), 1, OptionalLong.empty(), clock.instant(), Optional.empty(),
                Optional.empty());
    }
}
