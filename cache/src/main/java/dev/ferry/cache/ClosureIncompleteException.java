package dev.ferry.cache;

/**
 * A narinfo refused because the cache lacks its NAR (or the NAR has another size) or the narinfo of one of its
 * references: writing it would break the closure invariant Nix relies on.
 */
public class ClosureIncompleteException extends CacheException {
    public ClosureIncompleteException(String message) {
        super(message);
    }
}
