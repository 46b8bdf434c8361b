package dev.ferry.builder;

import java.util.Map;
import java.util.OptionalLong;

/**
 * What a succeeded build made.
 *
 * @param outputs    every package built, by the name the project config gives it, to its store path
 * @param generation the manifest generation the release wrote; empty when nothing changed
 */
public record BuildResult(Map<String, String> outputs, OptionalLong generation) {
    public BuildResult {
        outputs = Map.copyOf(outputs);
        java.util.Objects.requireNonNull(generation, "generation");
    }
}
