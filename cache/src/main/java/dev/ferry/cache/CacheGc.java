package dev.ferry.cache;

import dev.ferry.nix.NarInfo;
import dev.ferry.nix.StorePath;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Closure-aware garbage collection of a binary cache (see {@code docs/operations.md}). The live set is the closure
 * (narinfo {@code References:}, transitively) of every store path in the newest {@code keepGenerations} manifest
 * generations, of every pinned path ({@link CachePins}) and of every narinfo written within the grace period (a path
 * published a moment ago, not yet in a manifest). Everything else is collected when older than the grace period:
 * narinfos first, each before the narinfos it references, then NARs that no remaining narinfo points to, then the
 * what interrupted writes left (temporary files, incomplete multipart uploads). So the cache is valid at every moment of a collection.
 *
 * <p>{@link #plan} only reads. {@link #execute} plans again just before deleting (reusing the narinfos already read)
 * and deletes only what both plans agree on, so a path that became live in between (a new generation, a pin, a
 * publish referring to it) is spared.
 */
public final class CacheGc {
    public static final int DEFAULT_KEEP_GENERATIONS = 10;
    public static final Duration DEFAULT_GRACE = Duration.ofHours(24);
    static final int DEFAULT_PARALLELISM = 8;

    private final Storage storage;
    private final Clock clock;
    private final int parallelism;
    /** Narinfos read so far, by key; reused while the object's size and last-modified time are unchanged. */
    private final Map<String, Read> reads = new ConcurrentHashMap<>();

    private CacheGc(Storage storage, Clock clock, int parallelism) {
        this.storage = storage;
        this.clock = clock;
        this.parallelism = parallelism;
    }

    public static CacheGc create(Storage storage) {
        return new CacheGc(storage, Clock.systemUTC(), DEFAULT_PARALLELISM);
    }

    static CacheGc create(Storage storage, Clock clock, int parallelism) {
        return new CacheGc(storage, clock, parallelism);
    }

    /**
     * How much to keep: the newest {@code keepGenerations} generations, and everything younger than {@code grace}.
     * A cache without any manifest generation is collected only with {@code withoutGenerations}: there, everything
     * older than the grace period that is not pinned would go, which is rarely what a cache of Ferry's wants.
     */
    public record Options(int keepGenerations, Duration grace, boolean withoutGenerations) {
        public Options(int keepGenerations, Duration grace) {
            this(keepGenerations, grace, false);
        }

        public Options {
            if (keepGenerations < 1) {
                throw new IllegalArgumentException("keep-generations must be at least 1 (the newest generation is "
                        + "what the hosts run), not " + keepGenerations);
            }
            if (grace.isNegative()) {
                throw new IllegalArgumentException("the grace period must not be negative: " + grace);
            }
        }

        public static Options defaults() {
            return new Options(DEFAULT_KEEP_GENERATIONS, DEFAULT_GRACE);
        }
    }

    /** A narinfo the plan deletes: its object and the store path it describes (empty if it could not be parsed). */
    public record Removal(ObjectInfo object, Optional<StorePath> path) {
    }

    /**
     * What a collection would do. {@code narInfoWaves} are deleted one after the other: no narinfo of a wave is
     * referenced by a narinfo still there when the wave runs, so within a wave the order does not matter.
     *
     * @param generations      the manifest generations whose paths are roots, newest first
     * @param manifestPaths    the store paths those generations name
     * @param pinned           the pinned store paths
     * @param recent           store paths whose narinfo was written within the grace period
     * @param kept             every store path kept: the closure of the three sets above
     * @param narInfoWaves     narinfos to delete, in waves (see above)
     * @param nars             NAR objects to delete: referenced by no kept narinfo, older than the grace period
     * @param leftovers        what interrupted writes left, older than the grace period
     * @param keptNars         NAR objects kept
     * @param keptBytes        bytes of the narinfos and NARs kept
     * @param warnings         roots or references the cache lacks (it was incomplete before the collection)
     */
    public record Plan(Options options, Instant plannedAt, List<Long> generations, SortedSet<StorePath> manifestPaths,
                       SortedSet<StorePath> pinned, SortedSet<StorePath> recent, SortedSet<StorePath> kept,
                       List<List<Removal>> narInfoWaves, List<ObjectInfo> nars, List<ObjectInfo> leftovers,
                       int keptNars, long keptBytes, List<String> warnings) {

        public Instant cutoff() {
            return plannedAt.minus(options.grace());
        }

        public List<Removal> narInfos() {
            return narInfoWaves.stream().flatMap(List::stream).toList();
        }

        public long bytesFreed() {
            return narInfos().stream().mapToLong(r -> r.object().size()).sum()
                    + nars.stream().mapToLong(ObjectInfo::size).sum()
                    + leftovers.stream().mapToLong(ObjectInfo::size).sum();
        }

        public boolean isEmpty() {
            return narInfoWaves.isEmpty() && nars.isEmpty() && leftovers.isEmpty();
        }

        /** Whether {@link #execute} refuses it: something to delete in a cache with no generation, not allowed. */
        public boolean refusedWithoutGenerations() {
            return generations.isEmpty() && !options.withoutGenerations() && !isEmpty();
        }
    }

    /** What a collection deleted; {@code spared} counts objects planned for deletion that had become live. */
    public record Result(int narInfosDeleted, int narsDeleted, int leftoversDeleted, long bytesFreed, int spared) {
    }

    /** Computes what a collection would delete. Reads only. */
    public Plan plan(Options options) {
        Instant now = clock.instant();
        Instant cutoff = now.minus(options.grace());
        List<String> warnings = new ArrayList<>();

        List<ObjectInfo> objects = storage.listInfo("");
        List<ObjectInfo> narInfoObjects = new ArrayList<>();
        List<ObjectInfo> narObjects = new ArrayList<>();
        for (ObjectInfo object : objects) {
            if (isNarInfoKey(object.key())) {
                narInfoObjects.add(object);
            } else if (object.key().startsWith(BinaryCache.NAR_PREFIX)) {
                narObjects.add(object);
            }
        }
        Map<String, Read> narInfos = readAll(narInfoObjects);

        // Roots: newest generations, pins, recent narinfos.
        ManifestStore manifests = ManifestStore.create(storage);
        List<Long> generations = new ArrayList<>();
        Map<StorePath, String> roots = new LinkedHashMap<>();
        SortedSet<StorePath> manifestPaths = new TreeSet<>();
        List<Long> numbers = new ArrayList<>(manifests.generationNumbers());
        Collections.reverse(numbers);
        for (long n : numbers) {
            if (generations.size() == options.keepGenerations()) {
                break;
            }
            Optional<ManifestGeneration> generation = manifests.read(n);
            if (generation.isEmpty()) {
                continue; // abandoned
            }
            generations.add(n);
            Manifest manifest = generation.get().manifest();
            manifest.services().forEach(s -> root(roots, manifestPaths, s.artifact().storePath(),
                    "generation " + n + " (service " + s.name() + ")"));
            manifest.sites().forEach(s -> root(roots, manifestPaths, s.artifact().storePath(),
                    "generation " + n + " (site " + s.name() + ")"));
        }
        SortedSet<StorePath> pinned = new TreeSet<>();
        for (CachePins.Pin pin : CachePins.create(storage).list()) {
            root(roots, pinned, pin.path(), "the pin " + CachePins.key(pin.path()));
        }
        SortedSet<StorePath> recent = new TreeSet<>();
        for (Read read : narInfos.values()) {
            if (!read.object().lastModified().isBefore(cutoff)) {
                StorePath path = read.info().map(NarInfo::storePath).orElseThrow(() -> corrupt(read,
                        "it was written within the grace period, so it is kept, but its references cannot be read"));
                root(roots, recent, path, read.object().key() + " (written within the grace period)");
            }
        }

        // The closure of the roots.
        Set<String> keptHashes = new HashSet<>();
        SortedSet<StorePath> kept = new TreeSet<>();
        Deque<Map.Entry<StorePath, String>> work = new ArrayDeque<>(roots.entrySet());
        while (!work.isEmpty()) {
            Map.Entry<StorePath, String> next = work.pop();
            StorePath path = next.getKey();
            if (!keptHashes.add(path.hashPart())) {
                continue;
            }
            Read read = narInfos.get(BinaryCache.narInfoKey(path));
            if (read == null) {
                warnings.add(next.getValue() + " refers to " + path + ", which is not in the cache");
                continue;
            }
            NarInfo info = read.info().orElseThrow(() -> corrupt(read, "it is kept (" + next.getValue()
                    + " needs it), so its references must be known"));
            kept.add(info.storePath());
            for (StorePath reference : info.references()) {
                if (!keptHashes.contains(reference.hashPart())) {
                    work.push(Map.entry(reference, path.absolute()));
                }
            }
        }

        // What goes: unreachable narinfos (all older than the cutoff: recent ones are roots), in waves.
        Map<String, Read> doomed = new HashMap<>();
        for (Read read : narInfos.values()) {
            if (!keptHashes.contains(hashOf(read.object().key()))) {
                doomed.put(read.object().key(), read);
            }
        }
        List<List<Removal>> waves = waves(doomed);

        Set<String> keptUrls = new HashSet<>();
        long keptBytes = 0;
        for (Read read : narInfos.values()) {
            if (!doomed.containsKey(read.object().key())) {
                read.info().ifPresent(info -> keptUrls.add(info.url()));
                keptBytes += read.object().size();
            }
        }
        List<ObjectInfo> nars = new ArrayList<>();
        int keptNars = 0;
        for (ObjectInfo nar : narObjects) {
            if (!keptUrls.contains(nar.key()) && nar.lastModified().isBefore(cutoff)) {
                nars.add(nar);
            } else {
                keptNars++;
                keptBytes += nar.size();
            }
        }
        List<ObjectInfo> leftovers = storage.leftovers().stream().filter(o -> o.lastModified().isBefore(cutoff))
                .toList();
        return new Plan(options, now, List.copyOf(generations), manifestPaths, pinned, recent, kept, waves,
                List.copyOf(nars), leftovers, keptNars, keptBytes, List.copyOf(warnings));
    }

    /**
     * Carries out {@code plan}: plans again, then deletes what both plans remove (narinfos wave by wave, then NARs,
     * then leftovers). If a narinfo cannot be deleted, it stops before any NAR is deleted and throws. A cache without
     * manifest generations is refused unless the options say {@code withoutGenerations}.
     */
    public Result execute(Plan plan) {
        if (plan.refusedWithoutGenerations()) {
            throw new CacheException(storage.uri() + " has no manifest generation, so a collection would delete every "
                    + "path published before " + plan.cutoff() + " that is not pinned (" + plan.narInfos().size()
                    + " now). Pin what must stay, or collect without generations on purpose (ferry cache gc "
                    + "--without-manifests)");
        }
        Plan fresh = plan(plan.options());
        Set<String> plannedNarInfos = keys(plan.narInfos().stream().map(Removal::object).toList());
        Set<String> plannedNars = keys(plan.nars());
        Set<String> plannedLeftovers = keys(plan.leftovers());
        int planned = plannedNarInfos.size() + plannedNars.size() + plannedLeftovers.size();

        AtomicInteger narInfosDeleted = new AtomicInteger();
        AtomicLong bytes = new AtomicLong();
        for (List<Removal> wave : fresh.narInfoWaves()) {
            List<Removal> agreed = wave.stream().filter(r -> plannedNarInfos.contains(r.object().key())).toList();
            inParallel(agreed, r -> {
                storage.delete(r.object().key());
                narInfosDeleted.incrementAndGet();
                bytes.addAndGet(r.object().size());
            }, () -> "deleting narinfos stopped after " + narInfosDeleted.get() + "; no NAR was deleted. The cache "
                    + "is valid; run the collection again");
        }
        // A NAR goes only if no narinfo that stays points to it, including narinfos only the second plan would
        // delete (written in between, with a grace period shorter than that): they stay, so their NARs do too.
        Set<String> goneNarInfos = new HashSet<>();
        fresh.narInfos().forEach(r -> goneNarInfos.add(r.object().key()));
        goneNarInfos.retainAll(plannedNarInfos);
        Set<String> urlsInUse = new HashSet<>();
        reads.forEach((key, read) -> {
            if (!goneNarInfos.contains(key)) {
                read.info().ifPresent(info -> urlsInUse.add(info.url()));
            }
        });
        List<ObjectInfo> nars = fresh.nars().stream()
                .filter(o -> plannedNars.contains(o.key()) && !urlsInUse.contains(o.key())).toList();
        AtomicInteger narsDeleted = new AtomicInteger();
        inParallel(nars, o -> {
            storage.delete(o.key());
            narsDeleted.incrementAndGet();
            bytes.addAndGet(o.size());
        }, () -> "deleting NARs stopped after " + narsDeleted.get() + " (and " + narInfosDeleted.get()
                + " narinfos); the cache is valid; run the collection again");
        int leftoversDeleted = 0;
        for (ObjectInfo leftover : fresh.leftovers()) {
            if (plannedLeftovers.contains(leftover.key())) {
                storage.deleteLeftover(leftover.key());
                leftoversDeleted++;
                bytes.addAndGet(leftover.size());
            }
        }
        int deleted = narInfosDeleted.get() + narsDeleted.get() + leftoversDeleted;
        return new Result(narInfosDeleted.get(), narsDeleted.get(), leftoversDeleted, bytes.get(), planned - deleted);
    }

    // ---- helpers ----

    /** A narinfo as read: its object and either the parsed narinfo or what is wrong with it. */
    private record Read(ObjectInfo object, Optional<NarInfo> info, String problem) {
    }

    static boolean isNarInfoKey(String key) {
        return key.endsWith(".narinfo") && key.indexOf('/') < 0 && StorePath.isHashPart(hashOf(key));
    }

    private static String hashOf(String narInfoKey) {
        return narInfoKey.substring(0, narInfoKey.length() - ".narinfo".length());
    }

    private static void root(Map<StorePath, String> roots, Set<StorePath> set, StorePath path, String owner) {
        set.add(path);
        roots.putIfAbsent(path, owner);
    }

    private CacheException corrupt(Read read, String why) {
        return new CacheException("cannot collect " + storage.uri() + ": " + read.object().key() + " is corrupt ("
                + read.problem() + "), and " + why + ". Delete it or publish its path again, then retry");
    }

    /** Reads every narinfo not read before (or changed since), in parallel. Ones deleted meanwhile are left out. */
    private Map<String, Read> readAll(List<ObjectInfo> objects) {
        List<ObjectInfo> toRead = objects.stream().filter(o -> {
            Read known = reads.get(o.key());
            return known == null || !known.object().equals(o);
        }).toList();
        inParallel(toRead, object -> read(object).ifPresentOrElse(r -> reads.put(object.key(), r),
                () -> reads.remove(object.key())), () -> "reading the narinfos of " + storage.uri() + " failed");
        Map<String, Read> result = new HashMap<>();
        for (ObjectInfo object : objects) {
            Read read = reads.get(object.key());
            if (read != null && read.object().equals(object)) {
                result.put(object.key(), read);
            }
        }
        return result;
    }

    private Optional<Read> read(ObjectInfo object) {
        return BinaryCache.read(storage, object.key()).map(r -> new Read(object, r.info(), r.problem()));
    }

    /**
     * Orders doomed narinfos so that each is deleted only after every doomed narinfo that references it: wave 0 is
     * referenced by no doomed narinfo, wave 1 only by wave 0, and so on (Kahn's algorithm; Nix references form no
     * cycles other than self-references, which are ignored).
     */
    private static List<List<Removal>> waves(Map<String, Read> doomed) {
        Map<String, Integer> referrers = new HashMap<>();
        doomed.keySet().forEach(k -> referrers.put(k, 0));
        for (Read read : doomed.values()) {
            for (String reference : references(read, doomed)) {
                referrers.merge(reference, 1, Integer::sum);
            }
        }
        List<List<Removal>> waves = new ArrayList<>();
        Set<String> left = new TreeSet<>(doomed.keySet());
        while (!left.isEmpty()) {
            List<String> wave = left.stream().filter(k -> referrers.get(k) == 0).toList();
            if (wave.isEmpty()) {
                wave = List.copyOf(left); // a cycle: impossible in Nix, but never loop forever
            }
            List<Removal> removals = new ArrayList<>();
            for (String key : wave) {
                left.remove(key);
                Read read = doomed.get(key);
                removals.add(new Removal(read.object(), read.info().map(NarInfo::storePath)));
                for (String reference : references(read, doomed)) {
                    referrers.merge(reference, -1, Integer::sum);
                }
            }
            waves.add(List.copyOf(removals));
        }
        return List.copyOf(waves);
    }

    /** The doomed narinfo keys {@code read} references, itself excluded. */
    private static Collection<String> references(Read read, Map<String, Read> doomed) {
        Set<String> keys = new LinkedHashSet<>();
        read.info().ifPresent(info -> {
            for (StorePath reference : info.references()) {
                String key = BinaryCache.narInfoKey(reference);
                if (!reference.equals(info.storePath()) && doomed.containsKey(key)) {
                    keys.add(key);
                }
            }
        });
        return keys;
    }

    private static Set<String> keys(List<ObjectInfo> objects) {
        Set<String> keys = new HashSet<>();
        objects.forEach(o -> keys.add(o.key()));
        return keys;
    }

    /**
     * Runs {@code action} on every item with at most {@code parallelism} at a time (virtual threads). On the first
     * failure the others stop taking items, and the failure is thrown with {@code context} in its message.
     */
    private <T> void inParallel(List<T> items, Consumer<T> action, Supplier<String> context) {
        if (items.isEmpty()) {
            return;
        }
        AtomicInteger next = new AtomicInteger();
        AtomicBoolean failed = new AtomicBoolean();
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int w = 0; w < Math.min(parallelism, items.size()); w++) {
                executor.submit(() -> {
                    for (int i; !failed.get() && (i = next.getAndIncrement()) < items.size(); ) {
                        try {
                            action.accept(items.get(i));
                        } catch (RuntimeException | Error e) {
                            failed.set(true);
                            failures.add(e);
                        }
                    }
                });
            }
        }
        if (!failures.isEmpty()) {
            Throwable first = failures.getFirst();
            CacheException e = new CacheException(context.get() + ": " + first.getMessage(), first);
            failures.stream().skip(1).forEach(e::addSuppressed);
            throw e;
        }
    }
}
