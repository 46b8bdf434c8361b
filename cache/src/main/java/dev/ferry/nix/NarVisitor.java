package dev.ferry.nix;

import java.io.InputStream;
import java.util.List;

/**
 * Receives the nodes of a NAR in order as {@link NarReader} validates it. Paths are the entry names from the root
 * (empty for the root itself), each already checked: valid UTF-8, not empty, {@code .} or {@code ..}, no {@code /} or
 * NUL, strictly ascending within a directory. A directory is reported before its entries.
 */
public interface NarVisitor {
    void directory(List<String> path);

    /**
     * A regular file of {@code size} bytes. {@code contents} yields exactly those bytes and ends there; whatever the
     * visitor leaves unread is skipped. It is only valid during this call.
     */
    void regularFile(List<String> path, boolean executable, long size, InputStream contents);

    void symlink(List<String> path, String target);

    /** A visitor that ignores everything: reading a NAR with it only validates it. */
    static NarVisitor validating() {
        return new NarVisitor() {
            @Override
            public void directory(List<String> path) {
            }

            @Override
            public void regularFile(List<String> path, boolean executable, long size, InputStream contents) {
            }

            @Override
            public void symlink(List<String> path, String target) {
            }
        };
    }
}
