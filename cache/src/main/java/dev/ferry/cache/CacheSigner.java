package dev.ferry.cache;

import dev.ferry.nix.NarInfo;
import dev.ferry.nix.PublicKey;
import dev.ferry.nix.SecretKey;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Adds a key's signature to every narinfo of a cache that a trusted key already signed: the step of a key rotation
 * that lets hosts trust only the new key, since a path that did not change between builds keeps the narinfo (and the
 * signature) it was first published with. A narinfo without a valid signature by a trusted key is not signed (the
 * new key must not vouch for what nobody vouched for) and is reported, as is one whose NAR is missing. Each narinfo is
 * replaced whole (storage's atomic put) with its other signatures kept; running it again signs what is left. Not to
 * be run beside {@code ferry cache gc}: a narinfo it deletes between the read and the put would come back (the NAR
 * check above narrows that to the last moment), and every narinfo signed is new again for gc's grace period.
 */
public final class CacheSigner {
    private final Storage storage;
    private final int jobs;

    private CacheSigner(Storage storage, int jobs) {
        this.storage = storage;
        this.jobs = jobs;
    }

    public static CacheSigner create(Storage storage, int jobs) {
        if (jobs < 1) {
            throw new IllegalArgumentException("jobs must be at least 1");
        }
        return new CacheSigner(storage, jobs);
    }

    /** A narinfo not signed, and why (no trusted signature, or unreadable). */
    public record Skipped(String key, String reason) {
    }

    /** What {@link #sign} did. */
    public record Result(int signed, int alreadySigned, List<Skipped> skipped) {
        public boolean ok() {
            return skipped.isEmpty();
        }
    }

    private enum Outcome { SIGNED, ALREADY, SKIPPED, GONE }

    /** Signs with {@code key} every narinfo validly signed by one of {@code trusted}; see the class comment. */
    public Result sign(SecretKey key, List<PublicKey> trusted) {
        if (trusted.isEmpty()) {
            throw new IllegalArgumentException("at least one trusted key is needed: only narinfos it signed are signed");
        }
        List<String> keys = storage.list("").stream().filter(CacheGc::isNarInfoKey).toList();
        List<Skipped> skipped = Collections.synchronizedList(new ArrayList<>());
        List<Future<Outcome>> results = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(Math.min(jobs, Math.max(1, keys.size())),
                Thread.ofPlatform().daemon().name("ferry-sign-", 0).factory())) {
            for (String narInfoKey : keys) {
                results.add(pool.submit(() -> signOne(narInfoKey, key, trusted, skipped)));
            }
        }
        Map<Outcome, Integer> counts = new EnumMap<>(Outcome.class);
        for (Future<Outcome> result : results) {
            try {
                counts.merge(result.get(), 1, Integer::sum);
            } catch (ExecutionException e) {
                throw e.getCause() instanceof RuntimeException r ? r : new CacheException(e.getCause().toString(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CacheException("interrupted while signing narinfos", e);
            }
        }
        List<Skipped> sorted = new ArrayList<>(skipped);
        sorted.sort(Comparator.comparing(Skipped::key));
        return new Result(counts.getOrDefault(Outcome.SIGNED, 0), counts.getOrDefault(Outcome.ALREADY, 0),
                List.copyOf(sorted));
    }

    private Outcome signOne(String narInfoKey, SecretKey key, List<PublicKey> trusted, List<Skipped> skipped) {
        Optional<BinaryCache.NarInfoRead> read = BinaryCache.read(storage, narInfoKey);
        if (read.isEmpty()) {
            return Outcome.GONE; // collected since it was listed
        }
        if (read.get().info().isEmpty()) {
            skipped.add(new Skipped(narInfoKey, "unreadable: " + read.get().problem()));
            return Outcome.SKIPPED;
        }
        NarInfo info = read.get().info().get();
        String fingerprint = info.fingerprint();
        if (info.signatures().stream().anyMatch(s -> key.publicKey().verify(fingerprint, s))) {
            return Outcome.ALREADY;
        }
        if (info.signatures().stream().noneMatch(s -> trusted.stream().anyMatch(t -> t.verify(fingerprint, s)))) {
            skipped.add(new Skipped(narInfoKey, "no valid signature by a trusted key"));
            return Outcome.SKIPPED;
        }
        // A narinfo collected (with its NAR) since it was read must not come back without its NAR.
        if (!storage.exists(info.url())) {
            skipped.add(new Skipped(narInfoKey, "its NAR " + info.url() + " is not in the cache (collected?)"));
            return Outcome.SKIPPED;
        }
        storage.put(narInfoKey, info.withSignature(key.sign(fingerprint)).render().getBytes(StandardCharsets.UTF_8));
        return Outcome.SIGNED;
    }
}
