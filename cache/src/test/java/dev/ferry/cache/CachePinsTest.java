package dev.ferry.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ferry.nix.StorePath;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CachePinsTest {
    @TempDir
    Path dir;

    @Test
    void pinListUnpin() throws Exception {
        Storage storage = new LocalStorage(dir);
        BinaryCache cache = new BinaryCache(storage);
        StorePath a = ManifestFixtures.storePath("a");
        StorePath b = ManifestFixtures.storePath("b");
        ManifestFixtures.publish(cache, a);
        ManifestFixtures.publish(cache, b);
        CachePins pins = CachePins.create(storage);

        assertThat(pins.pin(b)).isTrue();
        assertThat(pins.pin(a)).isTrue();
        assertThat(pins.pin(a)).isFalse();
        assertThat(pins.list()).extracting(CachePins.Pin::path).containsExactlyInAnyOrder(a, b);
        assertThat(new String(StorageContract.read(storage, CachePins.key(a)), StandardCharsets.UTF_8))
                .isEqualTo(a.absolute() + "\n");

        assertThat(pins.unpin(a)).isTrue();
        assertThat(pins.unpin(a)).isFalse();
        assertThat(pins.list()).extracting(CachePins.Pin::path).containsExactly(b);
    }

    @Test
    void aPathTheCacheLacksCannotBePinned() {
        Storage storage = new LocalStorage(dir);
        StorePath missing = ManifestFixtures.storePath("missing");
        assertThatThrownBy(() -> CachePins.create(storage).pin(missing)).isInstanceOf(CacheException.class)
                .hasMessageContaining("cannot pin " + missing).hasMessageContaining("not in");
        assertThat(storage.list("")).isEmpty();
    }

    @Test
    void aPinObjectThatDoesNotHoldItsOwnPathIsAnError() {
        Storage storage = new LocalStorage(dir);
        StorePath a = ManifestFixtures.storePath("a");
        StorePath b = ManifestFixtures.storePath("b");
        storage.put(CachePins.key(a), b.absolute().getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> CachePins.create(storage).list()).isInstanceOf(CacheException.class)
                .hasMessageContaining("the pin " + CachePins.key(a)).hasMessageContaining("not a pin written by Ferry");
        storage.put(CachePins.key(a), "garbage".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> CachePins.create(storage).list()).hasMessageContaining(CachePins.key(a));
    }
}
