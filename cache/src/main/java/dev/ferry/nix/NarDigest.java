package dev.ferry.nix;

/** The hash and size of a NAR, the pair narinfo files call {@code NarHash} and {@code NarSize}. */
public record NarDigest(Hash narHash, long narSize) {
}
