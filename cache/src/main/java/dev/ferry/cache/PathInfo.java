package dev.ferry.cache;

import dev.ferry.nix.NarDigest;
import dev.ferry.nix.StorePath;
import java.util.Optional;
import java.util.SortedSet;

/** What the local Nix store records of one valid path: its NAR digest, references, deriver and content address. */
public record PathInfo(StorePath path, NarDigest nar, SortedSet<StorePath> references, Optional<StorePath> deriver,
                       Optional<String> ca) {
    public PathInfo {
        references = java.util.Collections.unmodifiableSortedSet(new java.util.TreeSet<>(references));
    }
}
