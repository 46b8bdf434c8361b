package dev.ferry.cache;

import com.github.luben.zstd.ZstdCompressCtx;
import com.github.luben.zstd.ZstdInputStream;
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

    /** Nix's default zstd level (libarchive's). */
    static final int ZSTD_LEVEL = 3;
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
        return switch (this) {
            case ZSTD -> new ZstdCompressingStream(out, ZSTD_LEVEL, -1, ZSTD_WORKERS);
            case XZ -> new XZOutputStream(out, new LZMA2Options(6));
            case NONE -> out;
        };
    }

    /**
     * As {@link #compress(OutputStream)}, for exactly {@code size} bytes. zstd sizes its tables to them (a small NAR
     * then costs a fraction of what it would otherwise) and compresses small inputs on the calling thread; with zstd,
     * a write beyond {@code size}, or fewer bytes by {@code close}, fails with an {@link IOException} that says so.
     */
    public OutputStream compress(OutputStream out, long size) throws IOException {
        if (size < 0) {
            throw new IllegalArgumentException("size must not be negative: " + size);
        }
        return switch (this) {
            case ZSTD -> new ZstdCompressingStream(out, ZSTD_LEVEL, size, size >= ZSTD_WORKERS_THRESHOLD ? ZSTD_WORKERS : 0);
            case XZ, NONE -> compress(out);
        };
    }

    /**
     * Loads what compressing needs, so that a caller can do it ahead, on another thread: in a fresh JVM, zstd-jni
     * extracts and loads its native library and binds its calls, about 0.2 s before the first byte.
     */
    public void prepare() {
        if (this == ZSTD) {
            new ZstdCompressCtx().close();
        }
    }

    /**
     * What an xz stream may make its decoder allocate: enough for every preset ({@code -9} has a 64 MiB dictionary),
     * not for the 1.5 GiB a 64-byte upload may declare. zstd's decoder refuses windows over 128 MiB by itself.
     */
    static final int XZ_MEMORY_LIMIT_KIB = 80 * 1024;

    /** A stream that decompresses {@code in}; one whose decoder would need more memory than presets do is refused. */
    public InputStream decompress(InputStream in) throws IOException {
        return switch (this) {
            case ZSTD -> new ZstdInputStream(new BufferedInputStream(in, 1 << 16));
            case XZ -> new XZInputStream(new BufferedInputStream(in, 1 << 16), XZ_MEMORY_LIMIT_KIB);
            case NONE -> in;
        };
    }
}
