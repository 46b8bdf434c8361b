package dev.ferry.nix;

import java.util.Collection;
import java.util.StringJoiner;

/** Nix's signature fingerprint for store paths, and verification against a set of trusted keys. */
public final class Signatures {
    private Signatures() {
    }

    /** {@code 1;<path>;<narHash as sha256:nix32>;<narSize>;<full reference paths, sorted, joined by ,>}. */
    public static String fingerprint(StorePath path, Hash narHash, long narSize, Collection<StorePath> references) {
        if (narHash.algorithm() != HashAlgorithm.SHA256) {
            throw new NixFormatException("a fingerprint needs a sha256 NAR hash, not " + narHash.algorithm().nixName());
        }
        StringJoiner refs = new StringJoiner(",");
        references.stream().sorted().forEach(r -> refs.add(r.absolute()));
        return "1;" + path.absolute() + ";" + narHash.toNix32() + ";" + narSize + ";" + refs;
    }

    /** How many of {@code info}'s signatures verify under one of {@code trusted} (one per key at most counts once). */
    public static long countValid(NarInfo info, Collection<PublicKey> trusted) {
        String fingerprint = info.fingerprint();
        return trusted.stream()
                .filter(key -> info.signatures().stream().anyMatch(sig -> key.verify(fingerprint, sig)))
                .count();
    }
}
