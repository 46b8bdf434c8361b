package dev.ferry.app;

import dev.ferry.nix.NarDigest;
import dev.ferry.nix.NarWriter;
import dev.ferry.process.Command;
import dev.ferry.process.ProcessRunner;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ferry bench}: Ferry against the reference tool, measured in one run, alternating, reported as a ratio.
 * Benchmarks live here, not in the unit suite, because timings on a shared machine are not assertions.
 */
@picocli.CommandLine.Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Benchmarks against the reference tool (nix; caddy for serving), in one run, alternating.",
        subcommands = {BenchCommand.NarHash.class, BenchCommand.Publish.class, BenchServeCommand.Substitute.class,
                BenchServeCommand.NarinfoLoad.class, BenchWebhookCommand.class})
final class BenchCommand {

    @picocli.CommandLine.Command(name = "nar-hash", mixinStandardHelpOptions = true,
            description = {"NAR serialise-and-hash throughput: Ferry in-process against `nix hash path`.",
                    "Both read the same tree from the page cache; each round runs each once, alternating."})
    static final class NarHash implements Callable<Integer> {
        @Parameters(paramLabel = "PATH", description = "Tree to hash, e.g. a store path.")
        Path path;

        @Option(names = "--rounds", defaultValue = "7", description = "Measured rounds (default ${DEFAULT-VALUE}).")
        int rounds;

        @Option(names = "--nix", defaultValue = "nix", description = "The nix program (default ${DEFAULT-VALUE}).")
        String nix;

        @Override
        public Integer call() {
            ProcessRunner runner = ProcessRunner.local();
            Command nixHash = Command.of(nix, "--extra-experimental-features", "nix-command",
                    "hash", "path", "--type", "sha256", "--base32", path.toString()).timeout(Duration.ofMinutes(10));

            // Warm-up: fills the page cache and lets the JIT compile the hot loop.
            NarDigest digest = NarWriter.hash(path);
            NarWriter.hash(path);
            String nixResult = runner.run(nixHash).stdout().strip();
            if (!("sha256:" + nixResult).equals(digest.narHash().toString())) {
                throw new IllegalStateException("hashes differ: ferry " + digest.narHash() + ", nix sha256:" + nixResult);
            }

            List<Long> ferryNanos = new ArrayList<>();
            List<Long> nixNanos = new ArrayList<>();
            for (int i = 0; i < rounds; i++) {
                long t0 = System.nanoTime();
                NarWriter.hash(path);
                long t1 = System.nanoTime();
                runner.run(nixHash);
                long t2 = System.nanoTime();
                ferryNanos.add(t1 - t0);
                nixNanos.add(t2 - t1);
            }
            double mb = digest.narSize() / 1e6;
            double ferry = mb / (median(ferryNanos) / 1e9);
            double nixRate = mb / (median(nixNanos) / 1e9);
            System.out.printf(Locale.ROOT, "tree: %s (NAR %.1f MB, %s)%n", path, mb, digest.narHash());
            System.out.printf(Locale.ROOT, "rounds: %d, alternating, medians%n", rounds);
            System.out.printf(Locale.ROOT, "ferry (in-process): %8.1f MB/s  (%.3f s)%n", ferry, median(ferryNanos) / 1e9);
            System.out.printf(Locale.ROOT, "nix hash path:      %8.1f MB/s  (%.3f s, process start included)%n",
                    nixRate, median(nixNanos) / 1e9);
            System.out.printf(Locale.ROOT, "ratio ferry/nix:    %8.2fx%n", ferry / nixRate);
            return 0;
        }

    }

    @picocli.CommandLine.Command(name = "publish", mixinStandardHelpOptions = true,
            description = {"Publishing closures to a fresh directory cache: `ferry publish` (a new JVM each time, "
                    + "start-up included) against `nix copy --to file://DIR?compression=zstd&secret-key=KEY`, "
                    + "alternating."})
    static final class Publish implements Callable<Integer> {
        @Parameters(paramLabel = "PATH", arity = "1..*", description = "Store paths whose closures to publish.")
        List<String> paths;

        @Option(names = "--rounds", defaultValue = "5", description = "Measured rounds (default ${DEFAULT-VALUE}).")
        int rounds;

        @Option(names = "--compression", defaultValue = "zstd", description = "zstd, xz or none (default ${DEFAULT-VALUE}).")
        String compression;

        @Option(names = "--in-process", description = {"Time Ferry's publisher inside this JVM, warmed up, as the server's "
                + "builds run it, instead of a fresh `ferry publish` process."})
        boolean inProcess;

        @Option(names = "--launcher", paramLabel = "FILE", description = {"Run `ferry publish` through this launcher "
                + "(bin/ferry, /opt/ferry/bin/ferry), with its JVM options and class archive, instead of `java -jar`. "
                + "The first, uncounted round writes the archive if it is missing."})
        Optional<Path> launcher;

        @Override
        public Integer call() throws Exception {
            ProcessRunner runner = ProcessRunner.local();
            Path work = java.nio.file.Files.createTempDirectory("ferry-bench-");
            try {
                Path key = work.resolve("key.sec");
                java.nio.file.Files.writeString(key, dev.ferry.nix.SecretKey.generate("bench-1").render());
                String java = ProcessHandle.current().info().command().orElse("java");
                String jar = Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
                List<Long> ferryNanos = new ArrayList<>();
                List<Long> nixNanos = new ArrayList<>();
                long[] sizes = new long[2];
                for (int i = -1; i < rounds; i++) { // round -1 warms the page cache and is not counted
                    Path ours = work.resolve("ferry-" + i);
                    Path theirs = work.resolve("nix-" + i);
                    List<String> ferry = new ArrayList<>(launcher.isPresent() ? List.of(launcher.get().toString())
                            : List.of(java, "--enable-native-access=ALL-UNNAMED", "-jar", jar));
                    ferry.addAll(List.of("publish", "--to", "file://" + ours, "--secret-key", key.toString(),
                            "--compression", compression));
                    ferry.addAll(paths);
                    List<String> nix = new ArrayList<>(List.of("nix", "--extra-experimental-features", "nix-command", "copy",
                            "--to", "file://" + theirs + "?compression=" + compression + "&secret-key=" + key));
                    nix.addAll(paths);
                    long t0 = System.nanoTime();
                    if (inProcess) {
                        publishInProcess(ours, key, runner);
                    } else {
                        runner.run(Command.of(ferry).timeout(Duration.ofMinutes(30)));
                    }
                    long t1 = System.nanoTime();
                    runner.run(Command.of(nix).timeout(Duration.ofMinutes(30)));
                    long t2 = System.nanoTime();
                    if (i >= 0) {
                        ferryNanos.add(t1 - t0);
                        nixNanos.add(t2 - t1);
                    }
                    sizes[0] = directorySize(ours.resolve("nar"));
                    sizes[1] = directorySize(theirs.resolve("nar"));
                    dev.ferry.nix.FileTrees.delete(ours);
                    dev.ferry.nix.FileTrees.delete(theirs);
                }
                double ferry = median(ferryNanos) / 1e9;
                double nix = median(nixNanos) / 1e9;
                System.out.printf(Locale.ROOT, "publish %s, %s, %d round%s alternating, medians%n", paths, compression,
                        rounds, rounds == 1 ? "" : "s");
                System.out.printf(Locale.ROOT, "ferry publish%s %7.2f s  NARs %.1f MB%n",
                        inProcess ? " (in-process, warm):" : launcher.isPresent() ? " (launcher):" : ":   ", ferry,
                        sizes[0] / 1e6);
                System.out.printf(Locale.ROOT, "nix copy:       %7.2f s  NARs %.1f MB%n", nix, sizes[1] / 1e6);
                System.out.printf(Locale.ROOT, "speed-up:       %7.2fx  (size ratio ferry/nix %.3f)%n", nix / ferry,
                        (double) sizes[0] / sizes[1]);
                return 0;
            } finally {
                dev.ferry.nix.FileTrees.delete(work);
            }
        }

        /** What `ferry publish` does, in this JVM: plan, then execute into a fresh directory cache. */
        private void publishInProcess(Path cache, Path keyFile, ProcessRunner runner) {
            try (dev.ferry.cache.Storage storage = dev.ferry.cache.CacheUri.parse("file://" + cache).open()) {
                dev.ferry.cache.Publisher publisher = new dev.ferry.cache.Publisher(new dev.ferry.cache.BinaryCache(storage),
                        new dev.ferry.cache.LocalNixStore(runner), dev.ferry.cache.Compression.parse(compression),
                        Math.max(4, 2 * Runtime.getRuntime().availableProcessors()));
                List<dev.ferry.nix.StorePath> roots = paths.stream().map(dev.ferry.nix.StorePath::parse).toList();
                dev.ferry.cache.Publisher.Summary summary = publisher.publish(roots, PublishCommand.readKey(keyFile),
                        dev.ferry.cache.Publisher.Listener.none());
                if (!summary.ok()) {
                    throw new IllegalStateException("publish failed: " + summary.failures());
                }
            }
        }
    }

    static long directorySize(Path dir) throws java.io.IOException {
        if (!java.nio.file.Files.isDirectory(dir)) {
            return 0;
        }
        try (var walk = java.nio.file.Files.walk(dir)) {
            return walk.filter(java.nio.file.Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
    }

    static double median(List<Long> values) {
        List<Long> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2.0;
    }
}
