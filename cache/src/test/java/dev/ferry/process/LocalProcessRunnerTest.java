package dev.ferry.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalProcessRunnerTest {
    private final ProcessRunner runner = ProcessRunner.local();

    @Test
    void capturesStdoutAndStderrSeparately() {
        ProcessResult result = runner.run(Command.of("/bin/sh", "-c", "printf out; printf err >&2"));
        assertThat(result.exitCode()).isZero();
        assertThat(result.stdout()).isEqualTo("out");
        assertThat(result.stderr()).isEqualTo("err");
    }

    @Test
    void copiesStderrToASecondSinkAndKeepsItsTailForTheError() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        assertThatThrownBy(() -> runner.run(Command.of("/bin/sh", "-c", "printf out; echo one >&2; echo two >&2; exit 3"),
                out, log)).isInstanceOf(ProcessException.class).hasMessageContaining("one\ntwo");
        assertThat(out.toString()).isEqualTo("out");
        assertThat(log.toString()).isEqualTo("one\ntwo\n");
    }

    @Test
    void interruptKillsTheTreeAndReturnsWithTheInterruptStatusSet() throws Exception {
        // A unique duration marks both the shell and its sleeping child.
        String marker = "600." + (System.nanoTime() % 1_000_000_000L);
        Throwable[] thrown = new Throwable[1];
        boolean[] interrupted = new boolean[1];
        Thread thread = Thread.ofPlatform().start(() -> {
            try {
                runner.run(Command.of("/bin/sh", "-c", "/bin/sleep " + marker + " & wait"));
            } catch (Throwable e) {
                thrown[0] = e;
                interrupted[0] = Thread.currentThread().isInterrupted();
            }
        });
        // Wait until the sleeping grandchild exists (a bounded wait: a sleep that is not /bin/sleep fails, not hangs),
        // then cancel.
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (ProcessHandle.allProcesses().noneMatch(p -> p.info().command().orElse("").endsWith("sleep")
                && p.info().arguments().map(a -> String.join(" ", a)).orElse("").contains(marker))) {
            assertThat(System.nanoTime()).as("the sleeping grandchild never appeared").isLessThan(deadline);
            Thread.sleep(10);
        }
        thread.interrupt();
        thread.join();
        assertThat(thrown[0]).isInstanceOf(ProcessException.class).hasMessageContaining("interrupted");
        assertThat(interrupted[0]).isTrue();
        assertThat(ProcessHandle.allProcesses().filter(p -> p.info().arguments().map(a -> String.join(" ", a))
                .orElse("").contains(marker)).toList()).isEmpty();
    }

    @Test
    void argumentsAreNotInterpretedByAShell() {
        ProcessResult result = runner.run(Command.of("/bin/echo", "$HOME", "a;b", "`x`"));
        assertThat(result.stdout()).isEqualTo("$HOME a;b `x`\n");
    }

    @Test
    void passesEnvironmentDirectoryAndStdin(@TempDir Path dir) throws Exception {
        Path input = Files.writeString(dir.resolve("in.txt"), "from stdin");
        ProcessResult result = runner.run(Command.of("/bin/sh", "-c", "printf %s \"$GREETING\"; pwd; cat")
                .environment(Map.of("GREETING", "hello ")).directory(dir).stdin(input));
        assertThat(result.stdout()).isEqualTo("hello " + dir.toRealPath() + "\nfrom stdin");
    }

    @Test
    void nonZeroExitCarriesCodeAndStderr() {
        assertThatThrownBy(() -> runner.run(Command.of("/bin/sh", "-c", "echo 'error: it broke' >&2; exit 3")))
                .isInstanceOfSatisfying(ProcessException.class, e -> {
                    assertThat(e.exitCode()).isEqualTo(3);
                    assertThat(e.getMessage()).contains("exited with 3").contains("error: it broke");
                });
    }

    @Test
    void missingProgramIsAClearError() {
        assertThatThrownBy(() -> runner.run(Command.of("/nonexistent/program")))
                .isInstanceOf(ProcessException.class)
                .hasMessageContaining("cannot start /nonexistent/program");
    }

    @Test
    void timeoutKillsTheWholeProcessTree() {
        // The grandchild keeps stdout open: without killing the tree, reading stdout would never end.
        Command command = Command.of("/bin/sh", "-c", "sleep 60 & sleep 60; wait").timeout(Duration.ofMillis(300));
        assertTimeoutPreemptively(Duration.ofSeconds(20), () ->
                assertThatThrownBy(() -> runner.run(command))
                        .isInstanceOfSatisfying(ProcessException.class, e -> {
                            assertThat(e.exitCode()).isEqualTo(-1);
                            assertThat(e.getMessage()).contains("timed out");
                        }));
    }

    @Test
    void keepsOnlyTheTailOfALongStderr() {
        ProcessException e = org.junit.jupiter.api.Assertions.assertThrows(ProcessException.class, () -> runner.run(
                Command.of("/bin/sh", "-c", "i=0; while [ $i -lt 3000 ]; do echo line$i >&2; i=$((i+1)); done; exit 1")));
        assertThat(e.stderr()).startsWith("...").contains("line2999").doesNotContain("line1\n");
        assertThat(e.stderr().length()).isLessThanOrEqualTo(LocalProcessRunner.STDERR_TAIL_BYTES + 3);
    }

    @Test
    void streamsLargeStdoutToTheSink() {
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        runner.run(Command.of("/bin/sh", "-c", "head -c 5000000 /dev/zero"), sink);
        assertThat(sink.size()).isEqualTo(5_000_000);
    }

    /** A program whose output fits in the pipe exits 0 before the sink fails: the failure must still surface. */
    @Test
    void aSinkFailureIsReportedEvenWhenTheProgramSucceeds() {
        OutputStream failingWithError = failing(new AssertionError("sink refuses"));
        OutputStream failingWithIo = failing(new IOException("disk full"));

        assertThatThrownBy(() -> ProcessRunner.local().run(Command.of("/bin/echo", "hi"), failingWithError))
                .isInstanceOf(AssertionError.class).hasMessage("sink refuses");
        assertThatThrownBy(() -> ProcessRunner.local().run(Command.of("/bin/echo", "hi"), failingWithIo))
                .isInstanceOf(ProcessException.class).hasMessageContaining("disk full");
    }

    private static OutputStream failing(Throwable failure) {
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] bytes, int offset, int length) throws IOException {
                if (failure instanceof IOException e) {
                    throw e;
                }
                throw (Error) failure;
            }
        };
    }
}
