package dev.ferry.cache;

import com.github.luben.zstd.ZstdInputStream;
import com.github.luben.zstd.ZstdOutputStream;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.Optional;
import org.tukaani.xz.LZMA2Options;
import org.tukaani.xz.XZInputStream;
import org.tukaani.xz.XZOutputStream;

/** NAR compressions, named as narinfo {@code Compression:} names them. */
public enum Compression {
    /** zstd at level 3, Nix's default level for zstd. */
    ZSTD("zstd", ".nar.zst"),
    /** xz at preset 6, what Nix writes by default. */
    XZ("xz", ".nar.xz"),
    NONE("none", ".nar");

    /** zstd worker threads per large stream: 2 roughly doubles throughput on the machines Ferry targets. */
    static final int ZSTD_WORKERS = 2;
    /** Below this size a stream is compressed on the calling thread: starting workers costs more than it saves. */
    static final long ZSTD_WORKERS_THRESHOLD = 4L << 20;

    private final String nixName;
    private final String extension;

    Compression(String nixName, String extension) {
        this.nixName = nixName;
        this.extension = extension;
    }

    public String nixName() {
        return nixName;
    }

    /** The file name extension of a NAR compressed this way: {@code .nar.zst}. */
    public String extension() {
        return extension;
    }

    public static Optional<Compression> byNixName(String name) {
        return Arrays.stream(values()).filter(c -> c.nixName.equals(name)).findFirst();
    }

    public static Compression parse(String name) {
        return byNixName(name).orElseThrow(() -> new CacheException("unknown compression '" + name
                + "' (expected zstd, xz or none)"));
    }

    /** A stream that compresses into {@code out}; closing it finishes the compressed stream and closes {@code out}. */
    public OutputStream compress(OutputStream out) throws IOException {
        return compress(out, Long.MAX_VALUE);
    }

    /** As {@link #compress(OutputStream)}, for about {@code sizeHint} bytes (small inputs skip zstd's workers). */
    public OutputStream compress(OutputStream out, long sizeHint) throws IOException {
        return switch (this) {
            case ZSTD -> {
                ZstdOutputStream zstd = new ZstdOutputStream(out, 3);
                if (sizeHint >= ZSTD_WORKERS_THRESHOLD) {
                    zstd.setWorkers(ZSTD_WORKERS);
                }
                yield zstd;
            }
            case XZ -> new XZOutputStream(out, new LZMA2Options(6));
            case NONE -> out;
        };
    }

    /** A stream that decompresses {@code in}. */
    public InputStream decompress(InputStream in) throws IOException {
        return switch (this) {
            case ZSTD -> new ZstdInputStream(new BufferedInputStream(in, 1 << 16));
            case XZ -> new XZInputStream(new BufferedInputStream(in, 1 << 16));
            case NONE -> in;
        };
    }
}
