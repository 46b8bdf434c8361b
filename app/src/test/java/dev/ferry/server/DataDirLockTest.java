package dev.ferry.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataDirLockTest {
    @TempDir
    Path dir;

    @Test
    void aSecondServerOfTheDirectoryInThisProcessIsRefused() throws Exception {
        Path data = dir.resolve("data");
        try (DataDirLock first = DataDirLock.acquire(data)) {
            assertThat(Files.readString(data.resolve("ferry.lock")).strip())
                    .isEqualTo(Long.toString(ProcessHandle.current().pid()));
            // Through another name of the directory too.
            Path link = Files.createSymbolicLink(dir.resolve("link"), data);
            assertThatThrownBy(() -> DataDirLock.acquire(link)).isInstanceOf(InvalidConfigException.class)
                    .hasMessageContaining("is in use by another server in this process");
        }
        DataDirLock.acquire(data).close(); // released by close
    }
}
