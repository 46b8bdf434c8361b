package dev.ferry.deployer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One pass per state directory within a JVM, whatever name the directory is reached by. */
class PassLockTest {
    @TempDir
    Path dir;

    @Test
    void aSecondPassOnTheSameDirectoryWaitsForTheFirst() throws Exception {
        assertWaitsWhileHeld(dir.resolve("state"), dir.resolve("state"));
    }

    @Test
    void aDirectoryReachedThroughASymlinkIsTheSameDirectory() throws Exception {
        Path real = Files.createDirectories(dir.resolve("state"));
        Path link = Files.createSymbolicLink(dir.resolve("link"), real);
        assertWaitsWhileHeld(real, link);
    }

    @Test
    void differentDirectoriesDoNotWaitForEachOther() throws Exception {
        try (PassLock first = PassLock.acquire(dir.resolve("one"))) {
            CompletableFuture<Void> second = CompletableFuture.runAsync(() -> PassLock.acquire(dir.resolve("two"))
                    .close());
            second.get(10, TimeUnit.SECONDS);
        }
    }

    private static void assertWaitsWhileHeld(Path held, Path wanted) throws Exception {
        CompletableFuture<Void> second;
        try (PassLock first = PassLock.acquire(held)) {
            second = CompletableFuture.runAsync(() -> PassLock.acquire(wanted).close());
            // Not a timing claim: the second must not get the lock at all while the first holds it.
            Thread.sleep(300);
            assertThat(second).isNotDone();
        }
        second.get(10, TimeUnit.SECONDS);
        assertThat(second).isCompleted();
    }
}
