package dev.ferry.cache;

import dev.ferry.nix.Hash;
import dev.ferry.nix.NarDigest;
import dev.ferry.nix.NarInfo;
import dev.ferry.nix.NarWriter;
import dev.ferry.nix.NixFormatException;
import dev.ferry.nix.StorePath;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.LongConsumer;

/**
 * A Nix binary cache on a {@link Storage}: {@code nix-cache-info}, {@code <hash>.narinfo} and
 * {@code nar/<narHash>.nar.zst}. It keeps the invariant Nix relies on: a NAR is stored before its narinfo, and a
 * narinfo only once the narinfos of all its references exist, so a crash at any moment leaves a valid cache (at
 * worst with orphan NARs).
 */
public final class BinaryCache {
    public static final String CACHE_INFO_KEY = "nix-cache-info";
    /** Where NARs are stored: {@code nar/<narHash>.nar[.zst|.xz]}. */
    public static final String NAR_PREFIX = "nar/";
    public static final int DEFAULT_PRIORITY = 40;

    private final Storage storage;

    public BinaryCache(Storage storage) {
        this.storage = storage;
    }

    public Storage storage() {
        return storage;
    }

    public static String narInfoKey(StorePath path) {
        return path.hashPart() + ".narinfo";
    }

    /** {@code nar/<narHash nix32>.nar.zst}: NARs are named by content, so the name is known before the upload. */
    public static String narKey(Hash narHash, Compression compression) {
        return NAR_PREFIX + narHash.nix32Digits() + compression.extension();
    }

    /** Writes {@code nix-cache-info} if it is missing. */
    public void ensureCacheInfo() {
        String text = "StoreDir: " + StorePath.STORE_DIR + "\nWantMassQuery: 1\nPriority: " + DEFAULT_PRIORITY + "\n";
        storage.createIfAbsent(CACHE_INFO_KEY, text.getBytes(StandardCharsets.UTF_8));
    }

    public boolean hasNarInfo(StorePath path) {
        return storage.exists(narInfoKey(path));
    }

    /** The narinfo of {@code path}, if the cache has it. A malformed one is an error naming its key. */
    public Optional<NarInfo> narInfo(StorePath path) {
        String key = narInfoKey(path);
        return read(storage, key).map(read -> read.info().orElseThrow(() -> new CacheException(key + " in "
                + storage.uri() + " is corrupt: " + read.problem())));
    }

    /** Largest narinfo read when listing a cache (a real one is well under 10 kB). */
    static final int MAX_NARINFO_BYTES = 1024 * 1024;

    /** A narinfo object as read by key: parsed, or what is wrong with it (too large, malformed, another path's). */
    record NarInfoRead(Optional<NarInfo> info, String problem) {
    }

    /** Reads the narinfo object {@code key} (a {@code <hash>.narinfo}); empty if it is gone. */
    static Optional<NarInfoRead> read(Storage storage, String key) {
        return storage.open(key).map(stored -> {
            try (stored) {
                byte[] bytes = stored.body().readNBytes(MAX_NARINFO_BYTES + 1);
                if (bytes.length > MAX_NARINFO_BYTES) {
                    return new NarInfoRead(Optional.empty(), "larger than " + MAX_NARINFO_BYTES + " bytes");
                }
                NarInfo info = NarInfo.parse(new String(bytes, StandardCharsets.UTF_8));
                if (!key.equals(narInfoKey(info.storePath()))) {
                    return new NarInfoRead(Optional.empty(), "it describes " + info.storePath());
                }
                return new NarInfoRead(Optional.of(info), "");
            } catch (NixFormatException e) {
                return new NarInfoRead(Optional.empty(), e.getMessage());
            } catch (IOException e) {
                throw new CacheException("reading " + key + " from " + storage.uri() + " failed: " + e.getMessage(),
                        e);
            }
        });
    }

    /** Where and how a NAR was stored. */
    public record UploadedNar(String url, Compression compression, Hash fileHash, long fileSize, NarDigest nar) {
    }

    /**
     * Streams the NAR of {@code localPath} into the cache in one pass: NAR writer, SHA-256 of the NAR, compression,
     * SHA-256 of the compressed file, storage. Nothing is buffered whole. If the NAR's hash or size differs from
     * {@code expected} (what the local store recorded), the upload is abandoned and nothing is stored. The NAR's bytes
     * are told to {@code streamed} as they are written (progress).
     */
    public UploadedNar uploadNar(Path localPath, NarDigest expected, Compression compression, LongConsumer streamed) {
        String key = narKey(expected.narHash(), compression);
        NarDigest[] actual = new NarDigest[1];
        HashingOutputStream[] file = new HashingOutputStream[1];
        storage.write(key, expected.narSize(), (OutputStream out) -> {
            file[0] = new HashingOutputStream(out);
            try (OutputStream compressed = compression.compress(file[0], expected.narSize())) {
                actual[0] = NarWriter.write(localPath, new CountingOutputStream(compressed, streamed));
            } catch (IOException | UncheckedIOException e) {
                // zstd holds the writer to the recorded size: a longer NAR is refused mid-way, a shorter one when
                // the stream closes, after the NAR's digest is known and the comparison below can name it.
                boolean mismatch = e instanceof ZstdCompressingStream.SizeMismatchException
                        || e.getCause() instanceof ZstdCompressingStream.SizeMismatchException;
                if (!mismatch) {
                    throw e;
                }
                if (actual[0] == null) {
                    throw new CacheException("the NAR of " + localPath + " is longer than the " + expected.narSize()
                            + " bytes the store recorded; is the store corrupt?", e);
                }
            }
            if (!actual[0].equals(expected)) {
                throw new CacheException("the NAR of " + localPath + " is " + actual[0].narHash() + " ("
                        + actual[0].narSize() + " bytes) but the store recorded " + expected.narHash() + " ("
                        + expected.narSize() + " bytes); is the store corrupt?");
            }
        });
        return new UploadedNar(key, compression, file[0].hash(), file[0].count(), actual[0]);
    }

    /**
     * Stores a narinfo after checking the closure invariant: its NAR is present (with the announced size), and every
     * reference other than the path itself already has a narinfo here.
     *
     * @throws ClosureIncompleteException if it does not
     */
    public void putNarInfo(NarInfo info) {
        Optional<Long> narSize = storage.size(info.url());
        if (narSize.isEmpty()) {
            throw new ClosureIncompleteException("refusing to write the narinfo of " + info.storePath() + ": its NAR " + info.url()
                    + " is not in the cache");
        }
        if (info.fileSize().isPresent() && info.fileSize().getAsLong() != narSize.get()) {
            throw new ClosureIncompleteException("refusing to write the narinfo of " + info.storePath() + ": FileSize "
                    + info.fileSize().getAsLong() + " but " + info.url() + " has " + narSize.get() + " bytes");
        }
        for (StorePath reference : info.references()) {
            if (!reference.equals(info.storePath()) && !hasNarInfo(reference)) {
                throw new ClosureIncompleteException("refusing to write the narinfo of " + info.storePath() + ": its reference "
                        + reference + " is not in the cache yet");
            }
        }
        storage.put(narInfoKey(info.storePath()), info.render().getBytes(StandardCharsets.UTF_8));
    }
}
