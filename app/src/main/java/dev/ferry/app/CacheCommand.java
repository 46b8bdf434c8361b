package dev.ferry.app;

import dev.ferry.cache.CacheException;
import dev.ferry.cache.CacheGc;
import dev.ferry.cache.CachePins;
import dev.ferry.cache.CacheSigner;
import dev.ferry.cache.ObjectInfo;
import dev.ferry.cache.Storage;
import dev.ferry.nix.NixFormatException;
import dev.ferry.nix.SecretKey;
import dev.ferry.nix.StorePath;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code ferry cache ...}: garbage collection and pins of a binary cache (see docs/operations.md). */
@Command(name = "cache", mixinStandardHelpOptions = true,
        description = {"Maintain a binary cache: garbage collection, pinned paths, signing with a new key.",
                "See docs/operations.md."},
        subcommands = {CacheCommand.Gc.class, CacheCommand.Pin.class, CacheCommand.Unpin.class,
                CacheCommand.Pins.class, CacheCommand.Sign.class})
final class CacheCommand {

    @Command(name = "gc", mixinStandardHelpOptions = true,
            description = {"Delete what the cache no longer needs, keeping the full closure of every store path in "
                    + "the newest manifest generations, of every pinned path, and of every path published within the "
                    + "grace period. Prints the plan, then carries it out (unless --dry-run)."})
    static final class Gc implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        ManifestCommand.CacheOption cache;
        @Option(names = "--keep-generations", paramLabel = "N", defaultValue = "" + CacheGc.DEFAULT_KEEP_GENERATIONS,
                description = "Keep the closures of the newest N manifest generations (default: ${DEFAULT-VALUE}).")
        int keepGenerations;
        @Option(names = "--grace", paramLabel = "PERIOD", defaultValue = "24h", converter = PeriodConverter.class,
                description = "Never delete an object written less than PERIOD ago: 90s, 30m, 24h, 7d or ISO-8601 "
                        + "(PT12H) (default: ${DEFAULT-VALUE}).")
        Duration grace;
        @Option(names = "--dry-run", description = "Print the plan and stop: nothing is deleted.")
        boolean dryRun;
        @Option(names = "--without-manifests", description = "Collect a cache that has no manifest generation "
                + "(refused otherwise): everything not pinned and older than the grace period goes.")
        boolean withoutManifests;
        @Option(names = {"-v", "--verbose"}, description = "Also list the store paths kept and the NARs removed.")
        boolean verbose;

        @Override
        public Integer call() {
            CacheGc.Options options = new CacheGc.Options(keepGenerations, grace, withoutManifests);
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            try (Storage storage = cache.open()) {
                CacheGc gc = CacheGc.create(storage);
                CacheGc.Plan plan = gc.plan(options);
                print(plan, storage.uri(), out);
                plan.warnings().forEach(w -> err.println("warning: " + w));
                if (dryRun) {
                    if (plan.refusedWithoutGenerations()) {
                        err.println("warning: the cache has no manifest generation: without --without-manifests "
                                + "the collection itself is refused");
                    }
                    out.println("dry run: nothing deleted");
                    return 0;
                }
                if (plan.isEmpty()) {
                    out.println("nothing to delete");
                    return 0;
                }
                out.flush();
                CacheGc.Result result = gc.execute(plan);
                out.println("deleted " + count(result.narInfosDeleted(), "narinfo") + ", "
                        + count(result.narsDeleted(), "NAR") + ", " + count(result.leftoversDeleted(), "unfinished write")
                        + ": " + size(result.bytesFreed()) + " freed");
                if (result.spared() > 0) {
                    out.println("spared " + result.spared() + " objects that became live after planning");
                }
            }
            return 0;
        }

        private void print(CacheGc.Plan plan, String uri, PrintWriter out) {
            out.println("cache " + uri + ": keeping " + generations(plan) + " and everything written after "
                    + plan.cutoff().truncatedTo(ChronoUnit.SECONDS) + " (grace "
                    + PeriodConverter.format(plan.options().grace()) + ")");
            out.println("roots:  " + count(plan.manifestPaths().size(), "store path") + " in manifests, "
                    + plan.pinned().size() + " pinned, " + plan.recent().size() + " published within the grace period");
            out.println("keep:   " + count(plan.kept().size(), "store path") + " (the closures of the roots), "
                    + count(plan.keptNars(), "NAR") + ", " + size(plan.keptBytes()));
            out.println("remove: " + count(plan.narInfos().size(), "store path") + ", " + count(plan.nars().size(), "NAR")
                    + ", " + count(plan.leftovers().size(), "unfinished write") + ": " + size(plan.bytesFreed()));
            if (verbose) {
                plan.kept().forEach(p -> out.println("  keep   " + p));
            }
            for (CacheGc.Removal removal : plan.narInfos()) {
                out.println("  remove " + removal.path().map(StorePath::absolute)
                        .orElse(removal.object().key() + " (unreadable narinfo)"));
            }
            if (verbose) {
                for (ObjectInfo nar : plan.nars()) {
                    out.println("  remove " + nar.key() + " (" + size(nar.size()) + ")");
                }
            }
            for (ObjectInfo leftover : plan.leftovers()) {
                out.println("  remove " + leftover.key() + " (left by an interrupted write, "
                        + size(leftover.size()) + ")");
            }
        }


        static String size(long bytes) {
            return bytes < 100_000 ? count(bytes, "byte") : PublishCommand.megabytes(bytes);
        }

        /** "manifest generations 2..11 (the newest 10)", "manifest generation 3 (the only one)", ... */
        static String generations(CacheGc.Plan plan) {
            List<Long> newestFirst = plan.generations();
            if (newestFirst.isEmpty()) {
                return "no manifest generation (the cache has none)";
            }
            long newest = newestFirst.getFirst();
            long oldest = newestFirst.getLast();
            int kept = newestFirst.size();
            String which = kept == 1 ? "manifest generation " + newest : "manifest generations " + oldest + ".." + newest;
            if (kept == plan.options().keepGenerations()) {
                return which + (kept == 1 ? " (the newest)" : " (the newest " + kept + ")");
            }
            return which + (kept == 1 ? " (the only one)" : " (all " + kept + ")");
        }
    }

    @Command(name = "sign", mixinStandardHelpOptions = true,
            description = {"Add the signature of --secret-key to every narinfo that a --trusted-key validly signed "
                    + "(after a key rotation: paths that did not change keep the narinfo first published, signed by "
                    + "the old key only). Other signatures are kept; a narinfo no trusted key signed is reported, not "
                    + "signed. Exit 1 if any was skipped. Safe to run again."})
    static final class Sign implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        ManifestCommand.CacheOption cache;
        @Option(names = "--secret-key", paramLabel = "FILE", required = true,
                description = "The new key's secret key file (as ferry keygen writes it).")
        Path secretKeyFile;
        @Option(names = "--trusted-key", paramLabel = "KEY_OR_FILE", required = true,
                description = {"The old key (name:base64) or a file of keys: only narinfos one of them validly signed "
                        + "are signed. Repeatable."})
        List<String> trustedKeys;
        @Option(names = "--jobs", paramLabel = "N", defaultValue = "8",
                description = "Narinfos signed at once (default: ${DEFAULT-VALUE}).")
        int jobs;

        @Override
        public Integer call() {
            ManifestCommand.TrustOption trust = new ManifestCommand.TrustOption();
            trust.values = trustedKeys;
            SecretKey key = PublishCommand.readKey(secretKeyFile);
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            try (Storage storage = cache.open()) {
                CacheSigner.Result result = CacheSigner.create(storage, jobs).sign(key, trust.keys());
                result.skipped().forEach(s -> err.println("ferry: skipped " + s.key() + ": " + s.reason()));
                out.println("signed " + count(result.signed(), "narinfo") + " with key '" + key.name() + "' in "
                        + storage.uri() + "; " + result.alreadySigned() + " already carried its signature; "
                        + result.skipped().size() + " skipped");
                return result.ok() ? 0 : 1;
            }
        }

    }

    /** "1 narinfo", "2 narinfos". */
    static String count(long n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }

    /** {@code 90s}, {@code 30m}, {@code 24h}, {@code 7d}, {@code 0}, or ISO-8601 ({@code PT12H}). */
    static final class PeriodConverter implements CommandLine.ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            return parse(value);
        }

        static Duration parse(String value) {
            if (value.strip().matches("[0-9]{1,9}")) {
                if (Long.parseLong(value.strip()) != 0) {
                    throw new CommandLine.TypeConversionException("period '" + value + "' needs a unit: s, m, h or d");
                }
                return Duration.ZERO;
            }
            Duration d = dev.ferry.cache.Durations.parse(value).orElseThrow(() ->
                    new CommandLine.TypeConversionException("period '" + value + "' is not a duration "
                            + "(examples: 90s, 30m, 24h, 7d, PT12H)"));
            if (d.isNegative()) {
                throw new CommandLine.TypeConversionException("period '" + value + "' is negative");
            }
            return d;
        }

        static String format(Duration d) {
            long s = d.toSeconds();
            if (s % 86_400 == 0 && s >= 2 * 86_400) {
                return s / 86_400 + "d";
            }
            if (s % 3_600 == 0 && s > 0) {
                return s / 3_600 + "h";
            }
            if (s % 60 == 0 && s > 0) {
                return s / 60 + "m";
            }
            return s + "s";
        }
    }

    /** A store path given as {@code /nix/store/...}, or as a link to one ({@code ./result}). */
    static StorePath storePath(String given) {
        try {
            return StorePath.parse(given);
        } catch (NixFormatException notAStorePath) {
            try {
                return PublishCommand.toStorePath(Path.of(given)); // a link (./result), or a path inside one
            } catch (IllegalArgumentException | NixFormatException e) {
                throw new CacheException(given + " is neither a store path nor a link to one");
            }
        }
    }

    @Command(name = "pin", mixinStandardHelpOptions = true,
            description = {"Pin a store path: garbage collection keeps its closure whatever the manifests say.",
                    "The pin is an object (pins/<hash>) in the cache itself."})
    static final class Pin implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        ManifestCommand.CacheOption cache;
        @Parameters(paramLabel = "PATH", description = "A store path in the cache, or a link to one (./result).")
        String path;

        @Override
        public Integer call() {
            StorePath storePath = storePath(path);
            try (Storage storage = cache.open()) {
                boolean created = CachePins.create(storage).pin(storePath);
                spec.commandLine().getOut().println((created ? "pinned " : "already pinned: ") + storePath);
            }
            return 0;
        }
    }

    @Command(name = "unpin", mixinStandardHelpOptions = true,
            description = "Remove the pin of a store path; the next garbage collection may delete it.")
    static final class Unpin implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        ManifestCommand.CacheOption cache;
        @Parameters(paramLabel = "PATH", description = "A pinned store path, or a link to one.")
        String path;

        @Override
        public Integer call() {
            StorePath storePath = storePath(path);
            try (Storage storage = cache.open()) {
                if (!CachePins.create(storage).unpin(storePath)) {
                    throw new CacheException(storePath + " is not pinned in " + storage.uri());
                }
                spec.commandLine().getOut().println("unpinned " + storePath);
            }
            return 0;
        }
    }

    @Command(name = "pins", mixinStandardHelpOptions = true, description = "List the pinned store paths.")
    static final class Pins implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        ManifestCommand.CacheOption cache;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            try (Storage storage = cache.open()) {
                List<CachePins.Pin> pins = CachePins.create(storage).list();
                if (pins.isEmpty()) {
                    out.println("no pinned paths in " + storage.uri());
                }
                for (CachePins.Pin pin : pins) {
                    out.println(pin.path() + "  pinned " + pin.pinnedAt());
                }
            }
            return 0;
        }
    }
}
