package dev.ferry.cache;

import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import java.util.Optional;

/**
 * Where a binary cache keeps its objects: a local directory or an S3 bucket. Keys follow {@link ObjectKeys}; every
 * method checks them first. Writes are all-or-nothing: a reader sees the whole object or none.
 */
public interface Storage extends AutoCloseable {

    /**
     * Writes an object's content to a stream the storage provides. The writer must not close that stream: the
     * storage completes the object after the writer returns, and only if it returns normally.
     */
    @FunctionalInterface
    interface ContentWriter {
        void writeTo(OutputStream out) throws IOException;
    }

    /** The cache URI this storage was opened from, without credentials. */
    String uri();

    /** The object's size, if it exists. */
    Optional<Long> size(String key);

    default boolean exists(String key) {
        return size(key).isPresent();
    }

    /** Opens an object for reading, if it exists; its size is known before the body is read. */
    Optional<StoredObject> open(String key);

    /**
     * Opens part of an object for reading, if it exists: {@code length} bytes from offset {@code first}, which the
     * caller has checked lie inside the object (read its size first). Only for objects that never change under their
     * key ({@code nar/}: named by their content), since the size and the part are two reads. The result's size is
     * {@code length}, and its body holds that many bytes. This default skips the bytes before {@code first}
     * (a seek for a local file).
     */
    default Optional<StoredObject> open(String key, long first, long length) {
        Optional<StoredObject> whole = open(key);
        if (whole.isPresent()) {
            try {
                whole.get().body().skipNBytes(first);
            } catch (java.io.IOException | RuntimeException e) {
                whole.get().close();
                throw new CacheException("reading " + key + " from byte " + first + " failed: " + e.getMessage(), e);
            }
        }
        return whole.map(object -> new StoredObject(length, new LimitedInputStream(object.body(), length)));
    }

    /**
     * Stores an object by streaming it: {@code writer} writes the content, which is never held whole in memory. The
     * object appears (replacing any earlier one) only when {@code writer} returns; if it throws, nothing is left.
     *
     * @param sizeHint the expected size in bytes if known (picks multipart sizes), or -1
     * @return the number of bytes stored
     */
    long write(String key, long sizeHint, ContentWriter writer);

    /** Stores a small object, replacing any earlier one atomically. */
    void put(String key, byte[] content);

    /**
     * Creates a small object only if no object has that key, atomically: of two concurrent callers exactly one gets
     * {@code true}.
     */
    boolean createIfAbsent(String key, byte[] content);

    /** Deletes an object; deleting one that does not exist is not an error. */
    void delete(String key);

    /** Keys that start with {@code prefix} (which need not end in {@code /}), sorted. */
    default List<String> list(String prefix) {
        return listInfo(prefix).stream().map(ObjectInfo::key).toList();
    }

    /** The objects whose keys start with {@code prefix}, sorted by key, with their sizes and last-modified times. */
    List<ObjectInfo> listInfo(String prefix);

    /**
     * What writes that never completed left behind (a process killed mid-write): invisible to readers, never listed
     * by {@link #listInfo}, and named by something that is not a key: the directory storage's temporary files, S3's
     * incomplete multipart uploads.
     */
    default List<ObjectInfo> leftovers() {
        return List.of();
    }

    /** Deletes one of {@link #leftovers()}; deleting one that is already gone is not an error. */
    default void deleteLeftover(String name) {
        throw new CacheException(uri() + " has no leftover '" + name + "'");
    }

    @Override
    default void close() {
    }
}
