package dev.ferry.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ferry.nix.Hash;
import dev.ferry.nix.NarInfo;
import dev.ferry.nix.SecretKey;
import dev.ferry.nix.StorePath;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Signing a cache's narinfos with a new key, on a directory cache. */
class CacheSignerTest {
    private final SecretKey old = SecretKey.generate("ops-1");
    private final SecretKey fresh = SecretKey.generate("ops-2");
    private final SecretKey stranger = SecretKey.generate("stranger-1");

    @TempDir
    Path dir;

    private NarInfo narInfo(char c, SecretKey... signers) {
        StorePath path = StorePath.parse("/nix/store/" + String.valueOf(c).repeat(32) + "-p");
        Hash narHash = Hash.sha256(new byte[32]);
        NarInfo info = new NarInfo(path, "nar/" + c + ".nar", "none", Optional.empty(), OptionalLong.empty(), narHash,
                100, new TreeSet<>(), Optional.empty(), Optional.empty(), new TreeSet<>(), Optional.empty());
        for (SecretKey signer : signers) {
            info = info.withSignature(signer.sign(info.fingerprint()));
        }
        return info;
    }

    /** The narinfo, and its NAR (a stand-in) unless {@code withNar} is false. */
    private void put(Storage storage, NarInfo info, boolean withNar) {
        if (withNar) {
            storage.put(info.url(), new byte[] {1});
        }
        storage.put(BinaryCache.narInfoKey(info.storePath()), info.render().getBytes(StandardCharsets.UTF_8));
    }

    private NarInfo get(Storage storage, NarInfo info) {
        return new BinaryCache(storage).narInfo(info.storePath()).orElseThrow();
    }

    @Test
    void signsWhatATrustedKeySignedKeepsOtherSignaturesAndSkipsTheRest() {
        Storage storage = new LocalStorage(dir.resolve("cache"));
        NarInfo byOld = narInfo('a', old);
        NarInfo both = narInfo('b', old, fresh);
        NarInfo byStranger = narInfo('c', stranger);
        // A signature under the old key's name that does not verify (tampered content) is no trusted signature.
        NarInfo forged = narInfo('d', old);
        forged = new NarInfo(forged.storePath(), forged.url(), forged.compression(), forged.fileHash(),
                forged.fileSize(), forged.narHash(), forged.narSize() + 1, forged.references(), forged.deriver(),
                forged.system(), forged.signatures(), forged.ca());
        for (NarInfo info : List.of(byOld, both, byStranger, forged)) {
            put(storage, info, true);
        }
        NarInfo collected = narInfo('f', old); // its NAR gone, as gc would leave it a moment before the narinfo
        put(storage, collected, false);
        storage.put("0".repeat(32) + ".narinfo", "not a narinfo".getBytes(StandardCharsets.UTF_8));

        CacheSigner.Result result = CacheSigner.create(storage, 3).sign(fresh, List.of(old.publicKey()));

        assertThat(result.signed()).isEqualTo(1);
        assertThat(result.alreadySigned()).isEqualTo(1);
        assertThat(result.skipped()).extracting(CacheSigner.Skipped::key, CacheSigner.Skipped::reason)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("0".repeat(32) + ".narinfo",
                                "unreadable: malformed narinfo, line 1: line does not end with a newline"),
                        org.assertj.core.groups.Tuple.tuple("c".repeat(32) + ".narinfo",
                                "no valid signature by a trusted key"),
                        org.assertj.core.groups.Tuple.tuple("d".repeat(32) + ".narinfo",
                                "no valid signature by a trusted key"),
                        org.assertj.core.groups.Tuple.tuple("f".repeat(32) + ".narinfo",
                                "its NAR nar/f.nar is not in the cache (collected?)"));
        NarInfo signed = get(storage, byOld);
        assertThat(signed.signatures()).hasSize(2)
                .anyMatch(s -> old.publicKey().verify(signed.fingerprint(), s))
                .anyMatch(s -> fresh.publicKey().verify(signed.fingerprint(), s));
        assertThat(get(storage, both)).isEqualTo(both);
        assertThat(get(storage, byStranger)).isEqualTo(byStranger);
        assertThat(get(storage, forged).signatures()).isEqualTo(forged.signatures());

        CacheSigner.Result again = CacheSigner.create(storage, 3).sign(fresh, List.of(old.publicKey()));
        assertThat(again.signed()).isZero();
        assertThat(again.alreadySigned()).isEqualTo(2);
        assertThat(again.skipped()).hasSize(4);
        assertThat(get(storage, collected)).isEqualTo(collected);
    }

    @Test
    void withoutATrustedKeyNothingIsSigned() {
        Storage storage = new LocalStorage(dir.resolve("cache"));
        assertThatThrownBy(() -> CacheSigner.create(storage, 1).sign(fresh, List.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("trusted key");
        assertThatThrownBy(() -> CacheSigner.create(storage, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
