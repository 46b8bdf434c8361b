package dev.ferry.server;

import dev.ferry.cache.Compression;
import dev.ferry.nix.Hash;
import dev.ferry.nix.HashAlgorithm;
import dev.ferry.nix.NarDigest;
import dev.ferry.nix.NarInfo;
import dev.ferry.nix.NarWriter;
import dev.ferry.nix.StorePath;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;

/**
 * A store path as a client would upload it, made by the test: a small tree serialised with {@link NarWriter},
 * compressed, and the narinfo that describes it (as {@code nix copy} writes it: URL by file hash, no signature).
 */
record TestNar(StorePath path, String key, byte[] file, NarInfo info) {
    private static final String NIX32 = "0123456789abcdfghijklmnpqrsvwxyz";
    private static final SecureRandom RANDOM = new SecureRandom();

    static StorePath randomPath(String name) {
        StringBuilder hash = new StringBuilder();
        for (int i = 0; i < StorePath.HASH_LENGTH; i++) {
            hash.append(NIX32.charAt(RANDOM.nextInt(NIX32.length())));
        }
        return StorePath.parse(StorePath.STORE_DIR + "/" + hash + "-" + name);
    }

    /** A path whose NAR is a directory with one file holding {@code content}, referring to {@code references}. */
    static TestNar create(Path workDir, String name, String content, Compression compression, StorePath... references) {
        try {
            Path tree = Files.createTempDirectory(workDir, "tree");
            Files.writeString(tree.resolve("content"), content, StandardCharsets.UTF_8);
            ByteArrayOutputStream compressed = new ByteArrayOutputStream();
            NarDigest nar;
            try (OutputStream out = compression.compress(compressed)) {
                nar = NarWriter.write(tree, out);
            }
            byte[] file = compressed.toByteArray();
            Hash fileHash = Hash.sha256(HashAlgorithm.SHA256.newDigest().digest(file));
            String key = "nar/" + fileHash.nix32Digits() + compression.extension();
            StorePath path = randomPath(name);
            NarInfo info = new NarInfo(path, key, compression.nixName(), Optional.of(fileHash),
                    OptionalLong.of(file.length), nar.narHash(), nar.narSize(), new TreeSet<>(Set.of(references)),
                    Optional.empty(), Optional.of("x86_64-linux"), new TreeSet<>(), Optional.empty());
            return new TestNar(path, key, file, info);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    String narInfoKey() {
        return path.hashPart() + ".narinfo";
    }

    /** The narinfo with other fields, e.g. a wrong NarHash. */
    TestNar withInfo(NarInfo other) {
        return new TestNar(path, key, file, other);
    }
}
