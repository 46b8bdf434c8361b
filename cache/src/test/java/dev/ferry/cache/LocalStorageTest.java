package dev.ferry.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
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

    @Test
    void leftoversAreTheTemporaryFilesOfInterruptedWritesAndOnlyThose() throws IOException {
        storage.put("nar/kept.nar", new byte[] {1});
        Path temp = Files.write(storage.root().resolve("nar/.tmp-123.part"), new byte[] {1, 2, 3, 4});
        Files.write(storage.root().resolve(".tmp-9.part"), new byte[] {1});
        Files.write(storage.root().resolve("nar/.hidden"), new byte[] {1});

        assertThat(storage.leftovers()).extracting(ObjectInfo::key).containsExactly(".tmp-9.part", "nar/.tmp-123.part");
        assertThat(storage.leftovers()).filteredOn(o -> o.key().equals("nar/.tmp-123.part"))
                .singleElement().extracting(ObjectInfo::size).isEqualTo(4L);
        assertThat(storage.list("")).containsExactly("nar/kept.nar");

        storage.deleteLeftover("nar/.tmp-123.part");
        assertThat(temp).doesNotExist();
        storage.deleteLeftover("nar/.tmp-123.part"); // already gone: fine
        for (String notLeftover : List.of("nar/kept.nar", "nar/.hidden", "../.tmp-1.part", "nar/../../x/.tmp-1.part")) {
            assertThatThrownBy(() -> storage.deleteLeftover(notLeftover)).as(notLeftover)
                    .isInstanceOf(InvalidKeyException.class).hasMessageContaining("not a temporary file");
        }
        assertThat(storage.root().resolve("nar/kept.nar")).exists();
        assertThat(storage.root().resolve("nar/.hidden")).exists();
    }

    /** Only a taken name is "absent: no"; a path that cannot be created is an error, not a lost race. */
    @Test
    void createIfAbsentUnderAFileIsAnErrorNotATakenName() throws IOException {
        storage.put("manifests", new byte[] {1});
        assertThatThrownBy(() -> storage.createIfAbsent("manifests/manifest-1.json", new byte[] {2}))
                .isInstanceOf(CacheException.class).hasMessageContaining("manifests/manifest-1.json");
        // A dangling symlink where the directory should be: creating it fails with "already exists".
        java.nio.file.Files.createSymbolicLink(storage.root().resolve("logs"), dir.resolve("gone/away"));
        assertThatThrownBy(() -> storage.createIfAbsent("logs/1.txt", new byte[] {2}))
                .isInstanceOf(CacheException.class).hasMessageContaining("logs/1.txt");
        assertThat(storage.createIfAbsent("nar/new.nar", new byte[] {3})).as("a missing directory is made").isTrue();
        assertThat(storage.createIfAbsent("nar/new.nar", new byte[] {4})).isFalse();
        try (StoredObject object = storage.open("nar/new.nar").orElseThrow()) {
            assertThat(object.body().readAllBytes()).containsExactly(3);
        }
        assertThat(java.nio.file.Files.getPosixFilePermissions(storage.root().resolve("nar/new.nar")))
                .contains(java.nio.file.attribute.PosixFilePermission.OTHERS_READ);
    }
}
