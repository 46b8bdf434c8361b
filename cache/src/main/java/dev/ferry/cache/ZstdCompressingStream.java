package dev.ferry.cache;

import com.github.luben.zstd.EndDirective;
import com.github.luben.zstd.ZstdCompressCtx;
import com.github.luben.zstd.ZstdException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;

/**
 * A zstd stream that knows, when it can, how many bytes it will compress. zstd then sizes its tables to the input:
 * a 13 kB NAR at level 3 needs a 16 kB window instead of 2 MB and about 1 MB of tables, which made creating the
 * stream cost more than compressing it. The frame records the size, as the {@code zstd} command's frames do.
 *
 * <p>The stream holds the writer to its word: more bytes than announced, or fewer by {@link #close()}, fail with a
 * {@link SizeMismatchException} before zstd sees them, and the frame is never finished.
 */
final class ZstdCompressingStream extends OutputStream {
    /** A write that does not add up to the size announced when the stream was made. */
    static final class SizeMismatchException extends IOException {
        SizeMismatchException(String message) {
            super(message);
        }
    }

    private static final int OUTPUT_BUFFER = 128 << 10;

    private final OutputStream out;
    private final ZstdCompressCtx ctx;
    private final long expected;
    private final ByteBuffer output;
    private long written;
    /** A write was refused: the frame would lack it, so it is never finished. */
    private boolean failed;
    private boolean closed;

    /**
     * @param expected the exact number of bytes that will be written, or -1 if unknown
     * @param workers  zstd worker threads (0: compress on the calling thread)
     */
    ZstdCompressingStream(OutputStream out, int level, long expected, int workers) throws IOException {
        this.out = out;
        this.expected = expected;
        this.ctx = new ZstdCompressCtx();
        try {
            ctx.setLevel(level);
            if (workers > 0) {
                ctx.setWorkers(workers);
            }
            if (expected >= 0) {
                ctx.setPledgedSrcSize(expected);
            }
        } catch (ZstdException e) {
            ctx.close();
            throw new IOException("zstd: " + e.getMessage(), e);
        }
        // Compressed output is never larger than the input by more than a few bytes per block.
        int size = expected >= 0 && expected < OUTPUT_BUFFER ? (int) expected + 1024 : OUTPUT_BUFFER;
        this.output = ByteBuffer.allocate(size);
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        ensureOpen();
        java.util.Objects.checkFromIndexSize(off, len, b.length);
        if (expected >= 0 && written + len > expected) {
            failed = true;
            throw new SizeMismatchException("more than the " + expected + " bytes announced were written");
        }
        written += len;
        ByteBuffer input = ByteBuffer.wrap(b, off, len);
        while (input.hasRemaining()) {
            compress(input, EndDirective.CONTINUE);
        }
    }

    /** Compresses what zstd holds back and passes it on: the frame stays open. */
    @Override
    public void flush() throws IOException {
        ensureOpen();
        while (!compress(ByteBuffer.allocate(0), EndDirective.FLUSH)) {
            // zstd has more to give
        }
        out.flush();
    }

    /** Finishes the frame and closes the underlying stream; with fewer bytes than announced, only releases zstd's. */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try (out; ZstdCompressCtx c = ctx) {
            if (failed || (expected >= 0 && written != expected)) {
                throw new SizeMismatchException(expected + " bytes were announced but " + written + " written"
                        + (failed ? ", and more refused" : ""));
            }
            ByteBuffer empty = ByteBuffer.allocate(0);
            while (!compress(empty, EndDirective.END)) {
                // zstd has more to give
            }
        }
    }

    /**
     * One call into zstd, then whatever it produced goes to {@code out}. True when zstd holds nothing more back
     * (meaningful for {@code FLUSH} and {@code END}, which are repeated until then).
     */
    private boolean compress(ByteBuffer input, EndDirective directive) throws IOException {
        boolean done;
        try {
            done = ctx.compressByteBufferStream(output, input, directive);
        } catch (ZstdException e) {
            throw new IOException("zstd: " + e.getMessage(), e);
        }
        if (output.position() > 0) {
            out.write(output.array(), output.arrayOffset(), output.position());
            output.clear();
        }
        return done;
    }

    private void ensureOpen() throws IOException {
        if (closed) {
            throw new IOException("the zstd stream is closed");
        }
    }
}
