package dev.ferry.server;

import dev.ferry.nix.DirectoryLock;
import java.io.IOException;
import java.nio.file.Path;

/**
 * One server per data directory: {@code <data-dir>/ferry.lock}, held through {@link DirectoryLock} for the server's
 * life, with its pid in it. A second {@code ferry serve} of the same directory would otherwise recover the first
 * one's running builds as interrupted and run its queue beside it.
 */
final class DataDirLock implements AutoCloseable {
    static final String FILE = "ferry.lock";

    private final DirectoryLock lock;

    private DataDirLock(DirectoryLock lock) {
        this.lock = lock;
    }

    static DataDirLock acquire(Path dataDir) {
        try {
            DirectoryLock lock = DirectoryLock.tryAcquire(dataDir, FILE).orElseThrow(() -> new InvalidConfigException(
                    ServerConfig.DATA_DIR, dataDir + " is in use by another " + holder(dataDir)));
            try {
                lock.describe(Long.toString(ProcessHandle.current().pid()));
            } catch (IOException | RuntimeException e) {
                lock.close();
                throw e;
            }
            return new DataDirLock(lock);
        } catch (IOException e) {
            throw new InvalidConfigException(ServerConfig.DATA_DIR, "cannot lock " + dataDir.resolve(FILE) + ": "
                    + e.getMessage(), e);
        }
    }

    /** {@code ferry serve (pid N): stop it, ...}, or {@code server in this process}. */
    private static String holder(Path dataDir) {
        try {
            return DirectoryLock.holder(dataDir, FILE).filter(pid -> pid.matches("\\d+"))
                    .map(pid -> "ferry serve (pid " + pid + "): stop it, or give this one a ferry.data-dir of its own")
                    .orElse("server in this process");
        } catch (IOException e) {
            return "ferry serve: stop it, or give this one a ferry.data-dir of its own";
        }
    }

    @Override
    public void close() {
        lock.close();
    }
}
