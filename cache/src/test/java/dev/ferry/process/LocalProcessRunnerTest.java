package dev.ferry.process;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import org.junit.jupiter.api.Test;

class LocalProcessRunnerTest {

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
