package dev.ferry.builder;

import java.io.OutputStream;

/**
 * What the queue gives a running build. Cancellation interrupts the build's thread (which kills any running
 * {@code nix} process tree through the process runner) until {@link #beginRelease()} returns true; from then on the
 * build is never interrupted, so a release being written always completes.
 */
public interface BuildContext {

    /** Records that the build entered {@code phase} (and left the previous one). */
    void enter(Phase phase);

    /** The build log (build output, nix's stderr, Ferry's own lines); the queue owns and closes it. */
    OutputStream log();

    /** Enters {@link Phase#RELEASE}; false when the build was cancelled first, and then it must stop. */
    boolean beginRelease();
}
