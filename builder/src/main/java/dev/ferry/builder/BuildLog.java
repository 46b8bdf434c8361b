package dev.ferry.builder;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * A build's log as the pipeline writes it: Ferry's own lines ({@code ferry: ...}) between the output of the programs
 * it runs. Writes from several threads (process pumps, publisher workers) are serialised; a log whose stream failed
 * (the queue closed it) swallows further writes, so logging never fails a build.
 */
final class BuildLog extends OutputStream {
    private final OutputStream out;
    private boolean broken;

    BuildLog(OutputStream out) {
        this.out = out;
    }

    /** Writes {@code ferry: <text>} and a newline. */
    void line(String text) {
        byte[] bytes = ("ferry: " + text + "\n").getBytes(StandardCharsets.UTF_8);
        write(bytes, 0, bytes.length);
        flush();
    }

    @Override
    public synchronized void write(int b) {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public synchronized void write(byte[] bytes, int offset, int length) {
        if (broken) {
            return;
        }
        try {
            out.write(bytes, offset, length);
        } catch (IOException | RuntimeException e) {
            broken = true;
        }
    }

    @Override
    public synchronized void flush() {
        if (broken) {
            return;
        }
        try {
            out.flush();
        } catch (IOException | RuntimeException e) {
            broken = true;
        }
    }

    @Override
    public void close() {
        flush(); // the queue owns and closes the underlying stream
    }
}
