package dev.ferry.app;

import dev.ferry.cache.BinaryCache;
import dev.ferry.cache.CacheUri;
import dev.ferry.cache.Compression;
import dev.ferry.cache.LocalNixStore;
import dev.ferry.cache.PathInfo;
import dev.ferry.cache.Publisher;
import dev.ferry.cache.Storage;
import dev.ferry.nix.SecretKey;
import dev.ferry.nix.StorePath;
import dev.ferry.process.ProcessRunner;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ferry publish}: sign and upload the closures of store paths to a binary cache. */
@Command(name = "publish", mixinStandardHelpOptions = true,
        description = {"Publish the full closure of each store path to a binary cache, signed.",
                "Paths the cache already has are skipped; the rest upload in parallel, largest first."})
final class PublishCommand implements Callable<Integer> {
    @Option(names = "--to", paramLabel = "CACHE_URI", required = true,
            description = "file:///abs/dir or s3://bucket?endpoint=...&region=...")
    String to;

    @Option(names = "--secret-key", paramLabel = "FILE", required = true,
            description = "Signing key in Nix's format (ferry keygen, nix-store --generate-binary-cache-key).")
    Path secretKeyFile;

    @Option(names = "--compression", defaultValue = "zstd", paramLabel = "zstd|xz|none",
            description = "NAR compression (default ${DEFAULT-VALUE}).")
    String compression;

    @Option(names = "--jobs", defaultValue = "0", paramLabel = "N",
            description = "Parallel uploads (default: twice the number of processors, at least 4).")
    int jobs;

    @Parameters(paramLabel = "PATH", arity = "1..*",
            description = "Store paths, or anything inside one (a ./result symlink, a file in a store path).")
    List<Path> paths;

    @Override
    public Integer call() {
        Compression method = Compression.parse(compression);
        // In a fresh JVM, reading the key (BouncyCastle's classes load, ed25519 warms up) and loading zstd (its
        // library is extracted and its calls bound) take a few hundred milliseconds: do both while Nix plans.
        CompletableFuture<SecretKey> key = CompletableFuture.supplyAsync(() -> readKey(secretKeyFile),
                task -> Thread.ofPlatform().daemon().name("ferry-read-key").start(task));
        Thread.ofPlatform().daemon().name("ferry-load-compression").start(() -> {
            try {
                method.prepare();
            } catch (RuntimeException | LinkageError e) {
                // the first upload meets it again and reports it
            }
        });
        Set<StorePath> roots = new LinkedHashSet<>();
        for (Path path : paths) {
            roots.add(toStorePath(path));
        }
        int parallel = jobs > 0 ? jobs : Math.max(4, 2 * Runtime.getRuntime().availableProcessors());
        try (Storage storage = CacheUri.parse(to).open()) {
            Publisher publisher = new Publisher(new BinaryCache(storage), new LocalNixStore(ProcessRunner.local()),
                    method, parallel);
            Publisher.Plan plan = publisher.plan(roots);
            SecretKey signingKey = joinKey(key);
            Progress progress = new Progress(plan, System.console() != null ? System.err : null);
            Publisher.Summary summary;
            try (progress) {
                summary = publisher.execute(plan, signingKey, progress);
            }
            for (Publisher.Failure failure : summary.failures()) {
                System.err.println("ferry: failed to publish " + failure.path() + ": " + failure.message());
            }
            System.out.printf(Locale.ROOT, "%s %s (%s NAR, %s %s) to %s, %d already present, in %.1f s%n",
                    summary.ok() ? "published" : "published only", CacheCommand.count(summary.published(), "path"),
                    megabytes(summary.narBytes()),
                    megabytes(summary.fileBytes()), method.nixName(), storage.uri(), summary.present(),
                    summary.elapsed().toNanos() / 1e9);
            return summary.ok() ? 0 : 1;
        }
    }

    private static SecretKey joinKey(CompletableFuture<SecretKey> key) {
        try {
            return key.join();
        } catch (java.util.concurrent.CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
    }

    /** Reads a secret key file for the commands that sign ({@code publish}, {@code manifest}). */
    static SecretKey readKey(Path file) {
        try {
            return SecretKey.parse(Files.readString(file, StandardCharsets.US_ASCII));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the secret key " + file, e);
        } catch (RuntimeException e) {
            // Never echo the key's text: say only which file is wrong and why.
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    /** The store path that {@code path} is or lies in, following symlinks such as {@code ./result}. */
    static StorePath toStorePath(Path path) {
        Path real;
        try {
            real = path.toRealPath();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // Main.describe says "PATH: no such file or directory"
        }
        Path store = Path.of(StorePath.STORE_DIR);
        if (!real.startsWith(store) || real.getNameCount() <= store.getNameCount()) {
            throw new IllegalArgumentException(path + " is not in " + StorePath.STORE_DIR);
        }
        return StorePath.parse(store.resolve(real.getName(store.getNameCount())).toString());
    }

    static String megabytes(long bytes) {
        return String.format(Locale.ROOT, "%.1f MB", bytes / 1e6);
    }

    /** A one-line progress display on a terminal: paths done/total, bytes, rate. */
    static final class Progress implements Publisher.Listener, AutoCloseable {
        private final Publisher.Plan plan;
        private final PrintStream terminal;
        private final AtomicInteger done = new AtomicInteger();
        private final AtomicLong bytes = new AtomicLong();
        private final long start = System.nanoTime();
        private final Thread ticker;

        Progress(Publisher.Plan plan, PrintStream terminal) {
            this.plan = plan;
            this.terminal = terminal;
            this.ticker = terminal == null ? null : Thread.ofVirtual().start(this::tick);
        }

        @Override
        public void published(PathInfo path, BinaryCache.UploadedNar nar) {
            done.incrementAndGet();
        }

        @Override
        public void streamed(long narBytes) {
            bytes.addAndGet(narBytes); // so one large NAR shows its progress, not 0 until it is done
        }

        private void tick() {
            try {
                while (true) {
                    Thread.sleep(250);
                    print();
                }
            } catch (InterruptedException e) {
                // closed
            }
        }

        private void print() {
            double seconds = Math.max(1e-9, (System.nanoTime() - start) / 1e9);
            terminal.printf(Locale.ROOT, "\r%d/%d paths, %s / %s, %.1f MB/s   ", done.get(), plan.toUpload().size(),
                    megabytes(bytes.get()), megabytes(plan.narBytes()), bytes.get() / 1e6 / seconds);
            terminal.flush();
        }

        @Override
        public void close() {
            if (ticker != null) {
                ticker.interrupt();
                print();
                terminal.println();
            }
        }
    }
}
