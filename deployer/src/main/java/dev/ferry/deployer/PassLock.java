package dev.ferry.deployer;

import dev.ferry.nix.DirectoryLock;
import java.io.IOException;
import java.nio.file.Path;

/**
 * One reconcile pass at a time per state directory, across processes: an agent and a {@code ferry deployer --once}
 * on the same host would otherwise both activate a service, and both change Caddy's route list from what each read a
 * moment before. {@code <state-dir>/pass.lock}, held through {@link DirectoryLock} (deployers in one JVM too).
 */
final class PassLock implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(PassLock.class.getName());
    static final String FILE = "pass.lock";

    private final DirectoryLock lock;

    private PassLock(DirectoryLock lock) {
        this.lock = lock;
    }

    /** Waits until no other pass holds {@code stateDir}, then holds it until {@link #close()}. */
    static PassLock acquire(Path stateDir) {
        Path file = stateDir.resolve(FILE);
        try {
            return new PassLock(DirectoryLock.acquire(stateDir, FILE, () -> LOG.log(System.Logger.Level.INFO,
                    "deployer: waiting for another deployer''s pass ({0})", file)));
        } catch (IOException e) {
            throw new DeployerException("cannot lock " + file + " for a pass: " + problem(e), e);
        }
    }

    /** What went wrong, in words: a file system exception's message is often just the path. */
    private static String problem(IOException e) {
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
        lock.close();
    }
}
