package dev.ferry.cache;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * One stored generation: the exact JSON text that was signed (strict UTF-8, so {@code json.getBytes(UTF_8)} gives back
 * the stored bytes), its detached signature ({@code keyname:base64}) and the parsed manifest.
 */
public record ManifestGeneration(String json, String signature, Manifest manifest) {
    public ManifestGeneration {
        Objects.requireNonNull(json, "json");
        Objects.requireNonNull(signature, "signature");
        Objects.requireNonNull(manifest, "manifest");
    }

    public long generation() {
        return manifest.generation();
    }

    public byte[] jsonBytes() {
        return json.getBytes(StandardCharsets.UTF_8);
    }
}
