package dev.ferry.deployer;

import dev.ferry.cache.CacheException;
import dev.ferry.cache.Manifest;
import dev.ferry.cache.ManifestGeneration;
import dev.ferry.cache.ManifestVerifier;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The generation applied last, as it was stored (its JSON and its detached signature), kept in the state directory:
 * what a pass converges when the manifest location cannot be read (an agent whose server is down), so that units a
 * person stopped and routes a Caddy restart lost still come back. It is verified again, against the keys trusted now,
 * each time it is read, as a generation read from the location is.
 */
final class AppliedCopy {
    static final String FILE = "applied-manifest.json";
    static final String SIGNATURE = FILE + ".sig";

    private AppliedCopy() {
    }

    /** Keeps {@code applied} as the copy, unless the copy is of that generation already ({@code copied}). */
    static void keep(Path stateDir, ManifestGeneration applied, long copied) {
        if (applied.generation() == copied && Files.exists(stateDir.resolve(FILE))
                && Files.exists(stateDir.resolve(SIGNATURE))) {
            return;
        }
        // The JSON first: a copy whose signature is of another generation does not verify, so it is not used.
        DeployerState.write(stateDir.resolve(FILE), applied.jsonBytes());
        DeployerState.write(stateDir.resolve(SIGNATURE), applied.signature().getBytes(StandardCharsets.UTF_8));
    }

    /** The copy, if there is one of {@code generation} that one of {@code verifier}'s keys signed. */
    static Optional<ManifestGeneration> read(Path stateDir, long generation, ManifestVerifier verifier) {
        try {
            byte[] json = Files.readAllBytes(stateDir.resolve(FILE));
            String signature = Files.readString(stateDir.resolve(SIGNATURE), StandardCharsets.UTF_8);
            verifier.verify("the copy of generation " + generation, json, signature.getBytes(StandardCharsets.UTF_8));
            ManifestGeneration copy = new ManifestGeneration(new String(json, StandardCharsets.UTF_8), signature,
                    Manifest.parse(json));
            return copy.generation() == generation ? Optional.of(copy) : Optional.empty();
        } catch (IOException | CacheException e) {
            return Optional.empty();
        }
    }
}
