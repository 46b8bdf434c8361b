package dev.ferry.cache;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.function.LongConsumer;

/** Counts the bytes that pass through, and tells each write's count to a listener (progress) if given one. */
final class CountingOutputStream extends FilterOutputStream {
    private final LongConsumer written;
    private long count;

    CountingOutputStream(OutputStream out) {
        this(out, n -> { });
    }

    CountingOutputStream(OutputStream out, LongConsumer written) {
        super(out);
        this.written = written;
    }

    @Override
    public void write(int b) throws IOException {
        out.write(b);
        count++;
        written.accept(1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        out.write(b, off, len);
        count += len;
        written.accept(len);
    }

    long count() {
        return count;
    }
}
