package dev.ferry.nix;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DirectoryLockTest {
    @TempDir
    Path dir;

    /** Run in a JVM of its own: prints whether it could lock the file given. */
    public static void main(String[] args) throws Exception {
        try (FileChannel channel = FileChannel.open(Path.of(args[0]), StandardOpenOption.WRITE);
             FileLock lock = channel.tryLock()) {
            System.out.print(lock == null ? "refused" : "locked");
        }
    }

    private String tryFromAnotherProcess(Path file) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        Process process = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                DirectoryLockTest.class.getName(), file.toString()).redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return out.strip();
    }

    @Test
    void aHolderInThisJvmIsRefusedWithoutReleasingTheProcesssLock() throws Exception {
        Path data = dir.resolve("data");
        try (DirectoryLock held = DirectoryLock.tryAcquire(data, "x.lock").orElseThrow()) {
            held.describe("4242");
            Path link = Files.createSymbolicLink(dir.resolve("link"), data);
            assertThat(DirectoryLock.tryAcquire(link, "x.lock")).isEmpty();
            assertThat(DirectoryLock.holder(data, "x.lock")).as("not read while this JVM holds it").isEmpty();
            // Had the refused attempt opened and closed the file, the kernel would have dropped the lock.
            assertThat(tryFromAnotherProcess(data.resolve("x.lock"))).isEqualTo("refused");
        }
        assertThat(Files.readString(data.resolve("x.lock")).strip()).isEqualTo("4242");
        assertThat(DirectoryLock.holder(data, "x.lock")).contains("4242");
        assertThat(tryFromAnotherProcess(data.resolve("x.lock"))).isEqualTo("locked");
        DirectoryLock.tryAcquire(data, "x.lock").orElseThrow().close();
    }
}
