package dev.ferry.deployer;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One reconcile pass at a time per state directory, across processes: an agent and a {@code ferry deployer --once}
 * on the same host would otherwise both activate a service, and both change Caddy's route list from what each read a
 * moment before. A lock on {@code <state-dir>/pass.lock} (released by the kernel if the process dies), with a lock
 * per directory in front of it for deployers in one JVM, which a file lock does not separate.
 */
final class PassLock implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(PassLock.class.getName());
    private static final ConcurrentMap<Path, ReentrantLock> IN_PROCESS = new ConcurrentHashMap<>();

    private final ReentrantLock local;
    private final FileChannel channel;
    private final FileLock lock;

    private PassLock(ReentrantLock local, FileChannel channel, FileLock lock) {
        this.local = local;
        this.channel = channel;
        this.lock = lock;
    }

    /** Waits until no other pass holds {@code stateDir}, then holds it until {@link #close()}. */
    static PassLock acquire(Path stateDir) {
        Path file = stateDir.resolve("pass.lock");
        Path dir;
        try {
            // The real path: two names of one directory (a symlink) must share the in-JVM lock.
            dir = Files.createDirectories(stateDir).toRealPath();
        } catch (IOException e) {
            throw new DeployerException("cannot lock " + file + " for a pass: " + problem(e), e);
        }
        ReentrantLock local = IN_PROCESS.computeIfAbsent(dir, d -> new ReentrantLock());
        local.lock();
        FileChannel channel = null;
        try {
            channel = FileChannel.open(dir.resolve("pass.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock = channel.tryLock();
            if (lock == null) {
                LOG.log(System.Logger.Level.INFO, "deployer: waiting for another deployer''s pass ({0})", file);
                lock = channel.lock();
            }
            return new PassLock(local, channel, lock);
        } catch (IOException | RuntimeException e) {
            closeQuietly(channel);
            local.unlock();
            if (e instanceof RuntimeException r && !(r instanceof java.nio.channels.OverlappingFileLockException)) {
                throw r;
            }
            throw new DeployerException("cannot lock " + file + " for a pass: " + problem(e), e);
        }
    }

    /** What went wrong, in words: a file system exception's message is often just the path. */
    private static String problem(Exception e) {
        return e instanceof java.nio.file.AccessDeniedException ? "permission denied"
                : e instanceof java.nio.file.FileSystemException f && f.getReason() == null
                ? e.getClass().getSimpleName() + " " + f.getFile() : e.getMessage();
    }

    /** Runs {@code action} while holding {@code stateDir}'s pass lock (between passes, never during one). */
    @SuppressWarnings("try") // held for the body, never referenced in it
    static <T> T holding(Path stateDir, java.util.function.Supplier<T> action) {
        try (PassLock held = acquire(stateDir)) {
            return action.get();
        }
    }

    @Override
    public void close() {
        try {
            lock.release();
        } catch (IOException e) {
            // closing the channel releases it too
        } finally {
            closeQuietly(channel);
            local.unlock();
        }
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
