package dev.ferry.nix;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.Semaphore;

/**
 * One holder at a time of a directory, across processes and within one JVM: a lock on a file in it (the kernel drops
 * it if the process dies), behind a guard per file for holders in one JVM, which a file lock does not separate. The
 * guard also keeps a second holder in this JVM from opening the file at all: the kernel's lock belongs to the
 * process, and closing any descriptor of the file would release it.
 */
public final class DirectoryLock implements AutoCloseable {
    private static final ConcurrentMap<Path, Semaphore> GUARDS = new ConcurrentHashMap<>();

    private final Semaphore guard;
    private final FileChannel channel;
    private final FileLock lock;

    private DirectoryLock(Semaphore guard, FileChannel channel, FileLock lock) {
        this.guard = guard;
        this.channel = channel;
        this.lock = lock;
    }

    /** Waits until nobody holds {@code dir}'s file {@code name}, then holds it; {@code onWait} runs if it must wait. */
    public static DirectoryLock acquire(Path dir, String name, Runnable onWait) throws IOException {
        Path file = file(dir, name);
        Semaphore guard = GUARDS.computeIfAbsent(file, f -> new Semaphore(1));
        boolean waited = !guard.tryAcquire();
        if (waited) {
            onWait.run();
            guard.acquireUninterruptibly();
        }
        return lock(guard, file, Optional.of(waited ? () -> { } : onWait)).orElseThrow();
    }

    /** Holds {@code dir}'s file {@code name} if nobody does; empty if a holder in this JVM or another process does. */
    public static Optional<DirectoryLock> tryAcquire(Path dir, String name) throws IOException {
        Path file = file(dir, name);
        Semaphore guard = GUARDS.computeIfAbsent(file, f -> new Semaphore(1));
        return guard.tryAcquire() ? lock(guard, file, Optional.empty()) : Optional.empty();
    }

    /**
     * With {@code guard} held: locks the file, waiting (after {@code onWait}) if it is given, else giving up; the guard
     * is released unless the lock is returned.
     */
    private static Optional<DirectoryLock> lock(Semaphore guard, Path file, Optional<Runnable> onWait)
            throws IOException {
        FileChannel channel = null;
        try {
            channel = open(file);
            FileLock lock = channel.tryLock();
            if (lock == null && onWait.isPresent()) {
                onWait.get().run();
                lock = channel.lock();
            }
            if (lock != null) {
                return Optional.of(new DirectoryLock(guard, channel, lock));
            }
            closeQuietly(channel);
            guard.release();
            return Optional.empty();
        } catch (IOException | RuntimeException e) {
            closeQuietly(channel);
            guard.release();
            throw e;
        }
    }

    /**
     * What the holder of {@code dir}'s file {@code name} wrote in it ({@link #describe}); empty when that holder is in
     * this JVM (reading would open the file) or nothing is written.
     */
    public static Optional<String> holder(Path dir, String name) throws IOException {
        Path file = file(dir, name);
        Semaphore guard = GUARDS.get(file);
        if (guard != null && guard.availablePermits() == 0) {
            return Optional.empty();
        }
        String text = Files.readString(file, StandardCharsets.UTF_8).strip();
        return text.isEmpty() ? Optional.empty() : Optional.of(text);
    }

    /** Replaces the file's content with {@code text}, for {@link #holder} to read: a pid, say. */
    public void describe(String text) throws IOException {
        channel.truncate(0);
        channel.write(ByteBuffer.wrap((text + "\n").getBytes(StandardCharsets.UTF_8)), 0);
    }

    @Override
    public void close() {
        try {
            lock.release();
        } catch (IOException e) {
            // closing the channel releases it too
        } finally {
            closeQuietly(channel);
            guard.release();
        }
    }

    /** The file by the directory's real path: two names of one directory (a symlink) share the guard. */
    private static Path file(Path dir, String name) throws IOException {
        return Files.createDirectories(dir).toRealPath().resolve(name);
    }

    private static FileChannel open(Path file) throws IOException {
        return FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                // nothing held is left to lose
            }
        }
    }
}
