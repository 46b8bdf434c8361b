package dev.ferry.cache;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** The storage contract against a directory. */
class LocalStorageTest extends StorageContract {
    @TempDir
    Path dir;

    private LocalStorage storage;

    @BeforeEach
    void open() {
        storage = new LocalStorage(dir.resolve("cache"));
    }

    @AfterEach
    void close() {
        storage.close();
    }

    @Override
    Storage storage() {
        return storage;
    }

    @Override
    void assertNoIncompleteWrites() {
        try (Stream<Path> walk = Files.walk(storage.root())) {
            List<Path> temporary = walk.filter(p -> p.getFileName().toString().startsWith(".")).toList();
            assertThat(temporary).as("temporary files left in the cache directory").isEmpty();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
