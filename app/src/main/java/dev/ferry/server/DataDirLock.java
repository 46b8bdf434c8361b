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

/**
 * One server per data directory: {@code <data-dir>/ferry.lock}, locked for the server's life (the kernel drops the
 * lock if the process dies) and holding its pid. A second {@code ferry serve} of the same directory would otherwise
 * recover the first one's running builds as interrupted and run its queue beside it.
 */
final class DataDirLock implements AutoCloseable {
    private final FileChannel channel;
    private final FileLock lock;

    private DataDirLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    static DataDirLock acquire(Path dataDir) {
        Path file = dataDir.resolve("ferry.lock");
        FileChannel channel = null;
        try {
            Files.createDirectories(dataDir);
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null; // a server in this JVM holds it
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
            return new DataDirLock(channel, lock);
        } catch (IOException e) {
            close(channel);
            throw new InvalidConfigException(ServerConfig.DATA_DIR, "cannot lock " + file + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            close(channel);
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
