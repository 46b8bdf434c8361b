package dev.ferry.process;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

final class LocalProcessRunner implements ProcessRunner {
    /** How much of stderr is kept for error messages: the end, where programs say what went wrong. */
    static final int STDERR_TAIL_BYTES = 16 * 1024;
    /**
     * Pipe reads block in the kernel and would pin a virtual thread's carrier for as long as the child runs (on two
     * cores, a server in the same JVM stalled: p99 480 ms): pumps are platform threads.
     */
    /** A thread factory is safe to share between concurrent runs; a {@code Thread.Builder} is not. */
    private static final java.util.concurrent.ThreadFactory PUMPS = Thread.ofPlatform().daemon()
            .name("ferry-process-pump").factory();

    @Override
    public ProcessResult run(Command command, OutputStream stdout) {
        return run(command, stdout, OutputStream.nullOutputStream());
    }

    @Override
    public ProcessResult run(Command command, OutputStream stdout, OutputStream stderrCopy) {
        ProcessBuilder builder = new ProcessBuilder(command.argv());
        builder.environment().putAll(command.environment());
        command.directory().ifPresent(d -> builder.directory(d.toFile()));
        command.stdin().ifPresentOrElse(f -> builder.redirectInput(f.toFile()),
                () -> builder.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))));
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new ProcessException("cannot start " + command.argv().getFirst() + ": " + e.getMessage(), -1, "", e);
        }
        TailBuffer stderr = new TailBuffer(STDERR_TAIL_BYTES);
        Thread errPump = PUMPS.newThread(() -> pump(process.getErrorStream(), stderr, stderrCopy));
        errPump.start();
        Throwable[] outFailure = new Throwable[1];
        Thread outPump = PUMPS.newThread(() -> {
            try (InputStream in = process.getInputStream()) {
                in.transferTo(stdout);
            } catch (Throwable e) {
                // Whatever the sink throws, Errors included, is the caller's failure: never lose it.
                outFailure[0] = e;
            }
        });
        outPump.start();
        try {
            if (!process.waitFor(command.timeout().toMillis(), TimeUnit.MILLISECONDS)) {
                destroyTree(process);
                outPump.join();
                errPump.join();
                throw new ProcessException(command.display() + " timed out after " + command.timeout(), -1,
                        stderr.text(), null);
            }
            outPump.join();
            errPump.join();
        } catch (InterruptedException e) {
            destroyTree(process);
            // The interrupt status is clear here: wait (bounded) until the pumps have drained what the killed tree
            // wrote, so that nothing is written to the caller's streams after this returns.
            joinQuietly(outPump);
            joinQuietly(errPump);
            Thread.currentThread().interrupt();
            throw new ProcessException(command.display() + " was interrupted", -1, stderr.text(), e);
        }
        if (outFailure[0] instanceof Error error) {
            throw error;
        }
        if (outFailure[0] != null) {
            throw new ProcessException("reading the output of " + command.display() + " failed: "
                    + outFailure[0].getMessage(), process.exitValue(), stderr.text(), outFailure[0]);
        }
        int exit = process.exitValue();
        if (exit != 0) {
            throw new ProcessException(command.display() + " exited with " + exit, exit, stderr.text(), null);
        }
        return new ProcessResult(exit, "", stderr.text());
    }

    /**
     * Kills the children before the parent (a child whose parent died is re-parented and is no longer a descendant),
     * twice, in case the parent forked while the first round ran, then waits (bounded) for the parent to be gone.
     */
    private static void destroyTree(Process process) {
        for (int round = 0; round < 2; round++) {
            process.descendants().toList().reversed().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }
        try {
            process.onExit().get(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            // killed with SIGKILL: it goes; nothing more can be done here
        }
    }

    private static void joinQuietly(Thread pump) {
        try {
            pump.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void pump(InputStream in, TailBuffer sink, OutputStream copy) {
        byte[] buffer = new byte[8192];
        boolean copying = true;
        try (in) {
            int n;
            while ((n = in.read(buffer)) > 0) {
                sink.append(buffer, n);
                if (copying) {
                    try {
                        copy.write(buffer, 0, n);
                        copy.flush();
                    } catch (IOException | RuntimeException e) {
                        copying = false; // the copy (a log) went away; the tail is still kept for the error
                    }
                }
            }
        } catch (IOException e) {
            // the process went away; what was read is kept
        }
    }

    /** Keeps the last {@code capacity} bytes written to it. */
    static final class TailBuffer {
        private final byte[] data;
        private long written;

        TailBuffer(int capacity) {
            data = new byte[capacity];
        }

        synchronized void append(byte[] bytes, int length) {
            for (int i = 0; i < length; i++) {
                data[(int) (written++ % data.length)] = bytes[i];
            }
        }

        synchronized String text() {
            int n = (int) Math.min(written, data.length);
            byte[] out = new byte[n];
            for (int i = 0; i < n; i++) {
                out[i] = data[(int) ((written - n + i) % data.length)];
            }
            String text = new String(out, StandardCharsets.UTF_8);
            return written > data.length ? "..." + text : text;
        }
    }
}
