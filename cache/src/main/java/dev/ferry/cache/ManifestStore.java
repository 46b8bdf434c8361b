package dev.ferry.cache;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ferry.nix.SecretKey;
import dev.ferry.nix.StorePath;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Signed, immutable manifest generations in a cache's storage (see {@code docs/manifest.md}):
 * <pre>
 * manifests/manifest-&lt;N&gt;.json       generation N, canonical JSON, never changed once created
 * manifests/manifest-&lt;N&gt;.json.sig   its detached signature, keyname:base64, created before the JSON
 * manifest.json (+ .sig)             a copy of the newest generation; may lag behind
 * </pre>
 *
 * <p><b>Writing generation N.</b> After validation and the check that every store path has a narinfo in the cache,
 * the writer claims N by creating {@code manifest-N.json.sig} with {@link Storage#createIfAbsent} (the lock: of two
 * writers exactly one claims N), then commits by creating {@code manifest-N.json} the same way. Neither object is
 * ever replaced or deleted. So a JSON exists only where its own writer's signature already existed: no reader can see
 * an unsigned generation or a generation with another writer's signature. (Putting the signature with a plain
 * {@code put} and using the JSON's conditional create as the lock would not do: a losing writer's {@code put} can land
 * after the winner's commit and replace the winner's signature.) A signature without its JSON is not a generation;
 * readers ignore it.
 *
 * <p>A writer that loses N re-reads the newest generation, re-applies its change and tries N+1, a bounded number of
 * times. If it finds N claimed but not committed, it waits for the commit; if none comes within {@code abandonAfter}
 * (the claimer crashed), it abandons N by creating {@code manifest-N.json} as a tombstone, again conditionally: either
 * the slow claimer's commit or the tombstone wins, never both, so no change is lost and no generation is half there.
 * Generation numbers thus increase by one, with a gap only where a writer died between claim and commit.
 *
 * <p>Created JSONs are contiguous from 1 (a writer claims N only after seeing N-1 created), so readers find the newest
 * from the {@code generation} in {@code manifest.json} (a hint: never trusted for anything else) by probing N+1,
 * N+2, ... and fall back to listing when the copy is missing.
 */
public final class ManifestStore {
    public static final String LATEST_KEY = "manifest.json";
    public static final String LATEST_SIGNATURE_KEY = "manifest.json.sig";
    public static final String GENERATION_PREFIX = "manifests/manifest-";
    /** How many generations past the newest known one {@link #top()} looks for before it gives up. */
    static final int MAX_PROBES = 10_000;

    static final Duration DEFAULT_ABANDON_AFTER = Duration.ofSeconds(15);
    static final int DEFAULT_MAX_ATTEMPTS = 20;
    static final int MAX_SIGNATURE_BYTES = 1024;

    private static final Pattern GENERATION_KEY = Pattern.compile("manifests/manifest-([1-9][0-9]{0,17})\\.json");
    private static final System.Logger LOG = System.getLogger(ManifestStore.class.getName());

    private final Storage storage;
    private final BinaryCache cache;
    private final Clock clock;
    private final Duration abandonAfter;
    private final int maxAttempts;

    private ManifestStore(Storage storage, Clock clock, Duration abandonAfter, int maxAttempts) {
        this.storage = storage;
        this.cache = new BinaryCache(storage);
        this.clock = clock;
        this.abandonAfter = abandonAfter;
        this.maxAttempts = maxAttempts;
    }

    /** The manifests kept in {@code storage}, next to the binary cache whose narinfos they refer to. */
    public static ManifestStore create(Storage storage) {
        return new ManifestStore(storage, Clock.systemUTC(), DEFAULT_ABANDON_AFTER, DEFAULT_MAX_ATTEMPTS);
    }

    static ManifestStore create(Storage storage, Clock clock, Duration abandonAfter, int maxAttempts) {
        return new ManifestStore(storage, clock, abandonAfter, maxAttempts);
    }

    public Storage storage() {
        return storage;
    }

    public static String jsonKey(long generation) {
        return GENERATION_PREFIX + generation + ".json";
    }

    public static String signatureKey(long generation) {
        return jsonKey(generation) + ".sig";
    }

    /** What a write did: {@code written} is false when the change left the newest generation as it was. */
    public record Update(ManifestGeneration generation, boolean written) {
    }

    // ---- reading ----

    /** Every generation number taken, ascending, abandoned ones included. */
    public List<Long> generationNumbers() {
        List<Long> numbers = new ArrayList<>();
        for (String key : listGenerations()) {
            Matcher m = GENERATION_KEY.matcher(key);
            if (m.matches()) {
                numbers.add(Long.parseLong(m.group(1)));
            }
        }
        numbers.sort(null);
        return numbers;
    }

    private List<String> listGenerations() {
        return storage.list(GENERATION_PREFIX);
    }

    /** The highest generation number taken (committed or abandoned), 0 if none. */
    public long top() {
        long generation = hint().filter(g -> storage.exists(jsonKey(g)))
                .orElseGet(() -> generationNumbers().stream().mapToLong(Long::longValue).max().orElse(0));
        // Generations newer than the hint or the listing (written since): a few. A storage that claims every
        // number exists (a broken or hostile server) must not keep a reader probing forever.
        for (int probes = 0; storage.exists(jsonKey(generation + 1)); probes++) {
            if (probes == MAX_PROBES) {
                throw new ManifestException(storage.uri() + " claims more than " + MAX_PROBES + " generations after "
                        + (generation - MAX_PROBES) + " exist (" + jsonKey(generation + 1) + " and every one before "
                        + "it); it is not a Ferry cache, or it answers every request with success");
            }
            generation++;
        }
        return generation;
    }

    /** Whether generation {@code n} was abandoned: claimed by a writer that never committed it. */
    public boolean isAbandoned(long n) {
        return readObject(jsonKey(n), ManifestJson.MAX_BYTES).map(json -> Arrays.equals(json, tombstone(n)))
                .orElse(false);
    }

    /**
     * Generation {@code n}, parsed and validated but <em>not verified</em>: check it with a {@link ManifestVerifier}
     * (or use {@link #read(long, ManifestVerifier)}) before acting on it. Empty if it does not exist or was abandoned.
     * A generation without its signature is an error.
     */
    public Optional<ManifestGeneration> read(long n) {
        return load(n, Optional.empty());
    }

    /** Generation {@code n}, its signature verified before its JSON is parsed. */
    public Optional<ManifestGeneration> read(long n, ManifestVerifier verifier) {
        return load(n, Optional.of(verifier));
    }

    /** The newest generation, not verified (see {@link #read(long)}); empty if there is none yet. */
    public Optional<ManifestGeneration> newest() {
        return newestAtOrBelow(top(), Optional.empty());
    }

    /** The newest generation, verified. */
    public Optional<ManifestGeneration> newest(ManifestVerifier verifier) {
        return newestAtOrBelow(top(), Optional.of(verifier));
    }

    private Optional<ManifestGeneration> newestAtOrBelow(long top, Optional<ManifestVerifier> verifier) {
        for (long g = top; g > 0; g--) {
            Optional<ManifestGeneration> generation = load(g, verifier);
            if (generation.isPresent()) {
                return generation;
            }
        }
        return Optional.empty();
    }

    private Optional<ManifestGeneration> load(long n, Optional<ManifestVerifier> verifier) {
        String key = jsonKey(n);
        Optional<byte[]> json = readObject(key, ManifestJson.MAX_BYTES);
        if (json.isEmpty() || Arrays.equals(json.get(), tombstone(n))) {
            return Optional.empty();
        }
        byte[] signature = readObject(signatureKey(n), MAX_SIGNATURE_BYTES).orElseThrow(() ->
                new ManifestSignatureException(key + " in " + storage.uri() + " is unsigned: "
                        + signatureKey(n) + " does not exist"));
        verifier.ifPresent(v -> v.verify(key, json.get(), signature));
        String text;
        try {
            text = ManifestJson.decode(json.get());
        } catch (CharacterCodingException e) {
            throw new ManifestException(key + " in " + storage.uri() + " is not valid UTF-8");
        }
        Manifest manifest;
        try {
            manifest = ManifestJson.parse(json.get());
        } catch (ManifestInvalidException e) {
            throw new ManifestException(key + " in " + storage.uri() + ": " + e.getMessage(), e);
        }
        if (manifest.generation() != n) {
            throw new ManifestException(key + " in " + storage.uri() + " holds generation " + manifest.generation()
                    + ", not " + n + "; it was not written there by Ferry");
        }
        return Optional.of(new ManifestGeneration(text, new String(signature, StandardCharsets.UTF_8).strip(),
                manifest));
    }

    /** The generation named in {@code manifest.json}, if it reads as one; never trusted beyond a starting point. */
    private Optional<Long> hint() {
        return storage.open(LATEST_KEY).flatMap(object -> {
            try (object) {
                if (object.size() > ManifestJson.MAX_BYTES) {
                    return Optional.empty();
                }
                return ManifestJson.generationOf(object.body().readAllBytes()).filter(g -> g > 0);
            } catch (IOException e) {
                return Optional.empty();
            }
        });
    }

    private Optional<byte[]> readObject(String key, int max) {
        return storage.open(key).map(object -> {
            try (object) {
                byte[] bytes = object.body().readNBytes(max + 1);
                if (object.size() > max || bytes.length > max) {
                    throw new ManifestException(key + " in " + storage.uri() + " is larger than the " + max
                            + " bytes allowed");
                }
                return bytes;
            } catch (IOException e) {
                throw new ManifestException("reading " + key + " from " + storage.uri() + " failed: " + e.getMessage(), e);
            }
        });
    }

    /** What an abandoned generation's JSON holds: recognisably not a manifest. */
    static byte[] tombstone(long n) {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        node.put("abandoned", true);
        node.put("generation", n);
        return ManifestJson.write(node).getBytes(StandardCharsets.US_ASCII);
    }

    // ---- writing ----

    /**
     * Writes a new generation: {@code change} gets the newest generation (verified with {@code trusted}; the empty
     * manifest if there is none) and returns the services and sites of the next one. If another writer gets there
     * first, {@code change} is applied again to the newer generation, so it must be a pure function of its input.
     * Nothing is written when the result is invalid, refers to a store path the cache lacks, or equals the newest.
     */
    public Update update(SecretKey key, ManifestVerifier trusted, String reason, UnaryOperator<Manifest> change) {
        Set<StorePath> present = new HashSet<>();
        for (int attempt = 1; attempt <= maxAttempts; attempt++) {
            long top = top();
            Optional<ManifestGeneration> base = newestAtOrBelow(top, Optional.of(trusted));
            Manifest changed = change.apply(base.map(ManifestGeneration::manifest).orElse(Manifest.empty()));
            long n = top + 1;
            Manifest draft = new Manifest(Manifest.VERSION, n, clock.instant().truncatedTo(ChronoUnit.SECONDS), reason,
                    changed.services(), changed.sites());
            byte[] json = ManifestJson.render(draft);
            Manifest next;
            try {
                next = ManifestJson.parse(json);
            } catch (ManifestInvalidException e) {
                throw new ManifestInvalidException("the new generation " + n, e.problems());
            }
            if (base.isPresent() && next.sameContent(base.get().manifest())) {
                return new Update(base.get(), false);
            }
            requireInCache(next, present);
            String text = new String(json, StandardCharsets.US_ASCII);
            String signature = key.sign(text);
            if (!storage.createIfAbsent(signatureKey(n), signature.getBytes(StandardCharsets.US_ASCII))) {
                awaitOrAbandon(n);
                pause(attempt);
                continue;
            }
            if (!storage.createIfAbsent(jsonKey(n), json)) {
                // Another writer waited too long for this commit and abandoned n; our signature stays, unused.
                continue;
            }
            updateLatest(n, json, signature);
            return new Update(new ManifestGeneration(text, signature, next), true);
        }
        throw new ManifestException("gave up writing a new manifest generation to " + storage.uri() + " after "
                + maxAttempts + " attempts: other writers took each generation number first");
    }

    /**
     * Writes a new generation with the services and sites of generation {@code to} (history is never rewritten).
     */
    public Update rollback(SecretKey key, ManifestVerifier trusted, long to) {
        Manifest target = read(to, trusted).orElseThrow(() -> new ManifestException("cannot roll back to generation "
                + to + ": " + (isAbandoned(to) ? "it was abandoned by a writer that did not finish"
                        : "it does not exist in " + storage.uri()))).manifest();
        // Checked again when the generation is written; here to say it in a rollback's terms.
        List<String> missing = new ArrayList<>();
        Set<StorePath> present = new HashSet<>();
        for (Manifest.Service s : target.services()) {
            checkInCache(s.artifact().storePath(), s.name(), present, missing);
        }
        for (Manifest.Site s : target.sites()) {
            checkInCache(s.artifact().storePath(), s.name(), present, missing);
        }
        if (!missing.isEmpty()) {
            throw new ManifestException("cannot roll back to generation " + to + ": " + (missing.size() == 1
                    ? "a store path it runs is" : missing.size() + " store paths it runs are") + " no longer in "
                    + storage.uri() + " (collected by ferry cache gc, which keeps the newest --keep-generations): "
                    + String.join(", ", missing) + "; nothing was written");
        }
        return update(key, trusted, "rollback to " + to, base -> new Manifest(base.version(), base.generation(),
                base.createdAt(), base.reason(), target.services(), target.sites()));
    }

    /** Every artifact must have a narinfo here; by the cache's closure invariant its whole closure then does too. */
    private void requireInCache(Manifest next, Set<StorePath> present) {
        List<String> missing = new ArrayList<>();
        for (int i = 0; i < next.services().size(); i++) {
            Manifest.Service s = next.services().get(i);
            checkInCache(s.artifact().storePath(), "services[" + i + "] " + s.name(), present, missing);
        }
        for (int i = 0; i < next.sites().size(); i++) {
            Manifest.Site s = next.sites().get(i);
            checkInCache(s.artifact().storePath(), "sites[" + i + "] " + s.name(), present, missing);
        }
        if (!missing.isEmpty()) {
            throw new ManifestException("refusing to write generation " + next.generation() + ": "
                    + (missing.size() == 1 ? "a store path has" : missing.size() + " store paths have")
                    + " no narinfo in " + storage.uri() + " (publish the closures first): "
                    + String.join(", ", missing));
        }
    }

    private void checkInCache(StorePath path, String owner, Set<StorePath> present, List<String> missing) {
        if (present.contains(path)) {
            return;
        }
        if (cache.hasNarInfo(path)) {
            present.add(path);
        } else {
            missing.add(path + " (" + owner + ")");
        }
    }

    /** Waits for the claimer of {@code n} to commit; abandons {@code n} if it does not within {@code abandonAfter}. */
    private void awaitOrAbandon(long n) {
        long deadline = System.nanoTime() + abandonAfter.toNanos();
        long pauseMillis = 1;
        while (!storage.exists(jsonKey(n))) {
            if (System.nanoTime() - deadline >= 0) {
                if (storage.createIfAbsent(jsonKey(n), tombstone(n))) {
                    LOG.log(System.Logger.Level.WARNING, "abandoned manifest generation {0} in {1}: its writer "
                            + "claimed it but did not commit it within {2} ms", n, storage.uri(),
                            abandonAfter.toMillis());
                }
                return;
            }
            sleep(pauseMillis);
            pauseMillis = Math.min(pauseMillis * 2, 200);
        }
    }

    /** A short random pause after losing a race, so that losers do not all retry at the same instant. */
    private static void pause(int attempt) {
        sleep(ThreadLocalRandom.current().nextLong(Math.min(5L * attempt, 50) + 1));
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ManifestException("interrupted while writing a manifest generation", e);
        }
    }

    /** Refreshes the {@code manifest.json} copy, unless a newer generation exists (its writer refreshes it). */
    private void updateLatest(long n, byte[] json, String signature) {
        if (storage.exists(jsonKey(n + 1))) {
            return;
        }
        putLatest(json, signature);
        // A newer generation committed between that check and these puts: its writer may have refreshed the copy
        // first, and this older one replaced it. Put the newest back, and look again after each put (the newest read
        // may be overtaken too), so the copy does not lag until the next write.
        long put = n;
        while (storage.exists(jsonKey(put + 1))) {
            Optional<ManifestGeneration> newest = newest();
            if (newest.isEmpty() || newest.get().generation() <= put) {
                return;
            }
            putLatest(newest.get().jsonBytes(), newest.get().signature());
            put = newest.get().generation();
        }
    }

    private void putLatest(byte[] json, String signature) {
        storage.put(LATEST_KEY, json);
        storage.put(LATEST_SIGNATURE_KEY, signature.getBytes(StandardCharsets.US_ASCII));
    }
}
