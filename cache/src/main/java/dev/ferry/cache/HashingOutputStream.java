package dev.ferry.cache;

import dev.ferry.nix.Hash;
import dev.ferry.nix.HashAlgorithm;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.security.MessageDigest;

/** Passes bytes through while hashing them with SHA-256 and counting them. {@link #close()} does not close the target. */
final class HashingOutputStream extends FilterOutputStream {
    private final MessageDigest digest = HashAlgorithm.SHA256.newDigest();
    private long count;

    HashingOutputStream(OutputStream out) {
        super(out);
    }

    @Override
    public void write(int b) throws IOException {
        out.write(b);
        digest.update((byte) b);
        count++;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        out.write(b, off, len);
        digest.update(b, off, len);
        count += len;
    }

    /** Flushes, but leaves the target open: the storage decides when an object is complete. */
    @Override
    public void close() throws IOException {
        out.flush();
    }

    Hash hash() {
        return Hash.sha256(digest.digest());
    }

    long count() {
        return count;
    }
}
