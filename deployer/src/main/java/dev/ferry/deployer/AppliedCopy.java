package dev.ferry.deployer;

import dev.ferry.cache.CacheException;
import dev.ferry.cache.Manifest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;

/**
 * The manifest of the generation applied last, kept in the state directory: what a pass converges when the manifest
 * location cannot be read (an agent whose server is down), so that units a person stopped and routes a Caddy restart
 * lost still come back. It was verified when it was applied, and the state directory is the deployer's own.
 */
final class AppliedCopy {
    static final String FILE = "applied-manifest.json";

    private AppliedCopy() {
    }

    /** Keeps {@code manifest} as the copy: written to a temporary file, then moved into place. */
    static void save(Path stateDir, Manifest manifest) {
        Path file = stateDir.resolve(FILE);
        try {
            Files.createDirectories(stateDir);
            Path tmp = Files.createTempFile(stateDir, "." + FILE, ".tmp");
            try {
                Files.write(tmp, manifest.toJson());
                try {
                    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
                }
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + file + " failed", e);
        }
    }

    /** The copy, if there is one of {@code generation} that still parses. */
    static Optional<Manifest> read(Path stateDir, long generation) {
        Path file = stateDir.resolve(FILE);
        try {
            Manifest manifest = Manifest.parse(Files.readAllBytes(file));
            return manifest.generation() == generation ? Optional.of(manifest) : Optional.empty();
        } catch (IOException | CacheException e) {
            return Optional.empty();
        }
    }
}
