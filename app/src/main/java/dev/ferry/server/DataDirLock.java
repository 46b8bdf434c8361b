package dev.ferry.server;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One server per data directory: {@code <data-dir>/ferry.lock}, locked for the server's life (the kernel drops the
 * lock if the process dies) and holding its pid. A second {@code ferry serve} of the same directory would otherwise
 * recover the first one's running builds as interrupted and run its queue beside it.
 */
final class DataDirLock implements AutoCloseable {
    /**
     * The directories servers of this JVM hold. Checked before the file is touched: the kernel's lock belongs to the
     * process, and closing any descriptor of the file (even one opened only to find it locked) would release it.
     */
    private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();

    private final Path key;
    private final FileChannel channel;
    private final FileLock lock;

    private DataDirLock(Path key, FileChannel channel, FileLock lock) {
        this.key = key;
        this.channel = channel;
        this.lock = lock;
    }

    static DataDirLock acquire(Path dataDir) {
        Path file = dataDir.resolve("ferry.lock");
        Path key;
        try {
            key = Files.createDirectories(dataDir).toRealPath();
        } catch (IOException e) {
            throw new InvalidConfigException(ServerConfig.DATA_DIR, "cannot lock " + file + ": " + e.getMessage(), e);
        }
        if (!HELD.add(key)) {
            throw new InvalidConfigException(ServerConfig.DATA_DIR, dataDir + " is in use by another server in this "
                    + "process");
        }
        FileChannel channel = null;
        try {
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null; // cannot happen while HELD guards this JVM, but means the same
            }
            if (lock == null) {
                String pid = Files.readString(file, StandardCharsets.US_ASCII).strip();
                throw new InvalidConfigException(ServerConfig.DATA_DIR, dataDir + " is in use by another ferry serve"
                        + (pid.matches("\\d+") ? " (pid " + pid + ")" : "") + ": stop it, or give this one a "
                        + "ferry.data-dir of its own");
            }
            channel.truncate(0);
            channel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)),
                    0);
            return new DataDirLock(key, channel, lock);
        } catch (IOException e) {
            close(channel);
            HELD.remove(key);
            throw new InvalidConfigException(ServerConfig.DATA_DIR, "cannot lock " + file + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            close(channel);
            HELD.remove(key);
            throw e;
        }
    }

    @Override
    public void close() {
        try {
            lock.release();
        } catch (IOException e) {
            // closing the channel releases it too
        } finally {
            close(channel);
            HELD.remove(key);
        }
    }

    private static void close(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                // nothing is left to release
            }
        }
    }
}
