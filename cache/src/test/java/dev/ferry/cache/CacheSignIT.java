package dev.ferry.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ferry.nix.SecretKey;
import dev.ferry.nix.StorePath;
import dev.ferry.process.ProcessException;
import dev.ferry.process.ProcessRunner;
import dev.ferry.testkit.RequiresPrograms;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A key rotation's last step with real Nix: a closure published under the old key, then signed with the new one,
 * substitutes into a fresh store that trusts only the new key.
 */
@RequiresPrograms({"nix", "nix-build", "nix-store"})
class CacheSignIT {
    @TempDir
    Path dir;

    @Test
    void aHostTrustingOnlyTheNewKeySubstitutesWhatTheOldKeyPublishedOnceSigned() {
        SecretKey old = SecretKey.generate("rotate-1");
        SecretKey fresh = SecretKey.generate("rotate-2");
        Path cacheDir = dir.resolve("cache");
        StorePath root = Nix.closure(dir, UUID.randomUUID().toString(), 3, 0);
        try (Storage storage = CacheUri.parse("file://" + cacheDir).open()) {
            new Publisher(new BinaryCache(storage), new LocalNixStore(ProcessRunner.local()), Compression.ZSTD, 2)
                    .publish(List.of(root), old, Publisher.Listener.none());
            assertThatThrownBy(() -> copy(cacheDir, root, fresh)).isInstanceOf(ProcessException.class)
                    .hasMessageContaining("lacks a valid signature");

            CacheSigner.Result result = CacheSigner.create(storage, 2).sign(fresh, List.of(old.publicKey()));

            assertThat(result.ok()).isTrue();
            assertThat(result.signed()).isEqualTo(3);
        }
        Path store = copy(cacheDir, root, fresh);
        Nix.run("nix", "store", "verify", "--store", store.toString(), "--recursive", "--sigs-needed", "1",
                "--trusted-public-keys", fresh.publicKey().render(), root.absolute());
        copy(cacheDir, root, old); // the old key's signatures are still there
    }

    private Path copy(Path cacheDir, StorePath root, SecretKey trusted) {
        Path store = Nix.freshStore(dir);
        Nix.run("nix", "copy", "--from", "file://" + cacheDir, "--to", store.toString(), root.absolute(),
                "--option", "trusted-public-keys", trusted.publicKey().render());
        return store;
    }
}
