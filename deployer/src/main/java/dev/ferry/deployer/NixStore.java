package dev.ferry.deployer;

import dev.ferry.nix.PublicKey;
import dev.ferry.nix.StorePath;
import dev.ferry.process.ProcessRunner;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** The Nix seam: closures realised from trusted substituters and pinned in one profile per service. */
public interface NixStore {
    boolean isValid(StorePath path);

    /**
     * Copies {@code path}'s closure from the first substituter that has it, accepting only paths signed by one of
     * {@code trustedKeys}; a no-op if the path is valid already.
     */
    void realise(StorePath path, List<String> substituters, List<PublicKey> trustedKeys);

    /**
     * Whether {@code program}, a file inside a realised store path, is there and executable: a manifest can name a
     * command its closure does not have, which systemd would report only as exit status 203/EXEC.
     */
    boolean isExecutable(String program);

    /**
     * What {@link #pin} did: the profile generation it made (none if the profile pointed at the path already), and
     * the one that was current before it (none if it made the profile).
     */
    record Pin(java.util.OptionalLong made, java.util.OptionalLong before) {
        static final Pin NOTHING = new Pin(java.util.OptionalLong.empty(), java.util.OptionalLong.empty());
    }

    /**
     * Points the service's profile at {@code path}: a new profile generation if it changed, none if it points there
     * already. Deletes no generation: the version that runs now stays a GC root while the new one starts.
     */
    Pin pin(String service, StorePath path);

    /**
     * Takes back what {@code pin} did, for a version that did not start: the profile points at the generation that
     * was current before it again (or is removed, if {@code pin} made it), and the generation it made is deleted.
     */
    void unpin(String service, Pin pin);

    /** Deletes all but the newest {@code keep} generations of the service's profile (once its new version runs). */
    void prune(String service, int keep);

    /** The store path the service's profile points at now. */
    Optional<StorePath> pinned(String service);

    /** Switches the profile to its previous generation and returns the path it now points at. */
    StorePath rollback(String service);

    /** Removes the service's profile and all its generations (their paths become garbage). */
    void remove(String service);

    /** The services that have a profile. */
    List<String> services();

    /** Real Nix ({@code nix copy}, {@code nix-env --profile}) with profiles under {@code profilesDir}. */
    static NixStore cli(ProcessRunner runner, Path profilesDir) {
        return CliNixStore.create(runner, profilesDir);
    }
}
