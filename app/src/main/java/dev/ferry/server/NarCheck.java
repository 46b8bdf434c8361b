package dev.ferry.server;

import dev.ferry.cache.Compression;
import dev.ferry.cache.Storage;
import dev.ferry.cache.StoredObject;
import dev.ferry.nix.Hash;
import dev.ferry.nix.HashAlgorithm;
import dev.ferry.nix.NarInfo;
import dev.ferry.nix.NarReader;
import dev.ferry.nix.NarVisitor;
import dev.ferry.nix.NixFormatException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;

/**
 * Checks an uploaded NAR against the narinfo that names it, in one streaming pass: the stored file is hashed and
 * counted (FileHash, FileSize), decompressed, hashed and counted again (NarHash, NarSize) and parsed by the
 * validating {@link NarReader}. A mismatch or a malformed NAR is the client's fault (400); a failing storage read is
 * the server's.
 */
final class NarCheck {
    /** The stored file as it was checked. */
    record Checked(Hash fileHash, long fileSize) {
    }

    /** A read from storage that failed: kept apart from decompression errors, which are the upload's fault. */
    static final class StorageReadException extends UncheckedIOException {
        StorageReadException(IOException cause) {
            super(cause);
        }
    }

    private NarCheck() {
    }

    static Checked check(Storage storage, NarInfo info, Compression compression) {
        if (info.narHash().algorithm() != HashAlgorithm.SHA256
                || info.fileHash().map(h -> h.algorithm() != HashAlgorithm.SHA256).orElse(false)) {
            throw Refusal.badRequest("NarHash and FileHash must be sha256");
        }
        StoredObject object = storage.open(info.url())
                .orElseThrow(() -> Refusal.conflict("the NAR " + info.url() + " has not been uploaded"));
        try (object) {
            DigestingInputStream file = new DigestingInputStream(new StorageInput(object.body()));
            DigestingInputStream nar;
            try {
                nar = new DigestingInputStream(new AtMost(compression.decompress(file), info.narSize()));
                NarReader.read(nar, NarVisitor.validating());
                file.transferTo(OutputStream.nullOutputStream());
            } catch (NixFormatException e) {
                throw Refusal.badRequest("the uploaded NAR is malformed: " + e.getMessage());
            } catch (StorageReadException e) {
                throw e;
            } catch (IOException | UncheckedIOException e) {
                if (e instanceof LongerThanNarSize || e.getCause() instanceof LongerThanNarSize) {
                    throw Refusal.badRequest("the uploaded NAR is longer than the narinfo's NarSize "
                            + info.narSize() + "; it was not decompressed further");
                }
                throw Refusal.badRequest("the uploaded NAR cannot be decompressed as " + compression.nixName());
            }
            Hash narHash = nar.hash();
            if (nar.count() != info.narSize() || !narHash.equals(info.narHash())) {
                throw Refusal.badRequest("NarHash/NarSize do not match the uploaded NAR, which has " + narHash
                        + " and " + nar.count() + " bytes");
            }
            Hash fileHash = file.hash();
            if (info.fileSize().isPresent() && info.fileSize().getAsLong() != file.count()) {
                throw Refusal.badRequest("FileSize " + info.fileSize().getAsLong() + " does not match the uploaded "
                        + "file, which has " + file.count() + " bytes");
            }
            if (info.fileHash().isPresent() && !info.fileHash().get().equals(fileHash)) {
                throw Refusal.badRequest("FileHash does not match the uploaded file, which has " + fileHash);
            }
            return new Checked(fileHash, file.count());
        }
    }

    /** More decompressed bytes than the narinfo claims: a decompression bomb costs no more than its claim. */
    private static final class LongerThanNarSize extends IOException {
        LongerThanNarSize() {
            super("longer than NarSize");
        }
    }

    /** Passes at most {@code limit} bytes, then fails: a NAR is never read past the size its narinfo gives. */
    private static final class AtMost extends FilterInputStream {
        private long left;

        AtMost(InputStream in, long limit) {
            super(in);
            this.left = limit;
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            if (b >= 0 && --left < 0) {
                throw new LongerThanNarSize();
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            // One byte more than allowed is asked for, so that a longer stream is noticed at its limit.
            int n = in.read(b, off, left >= len ? len : (int) (left + 1));
            if (n > 0 && (left -= n) < 0) {
                throw new LongerThanNarSize();
            }
            return n;
        }
    }

    /** Marks failures of the storage stream, so they are not mistaken for a bad upload. */
    private static final class StorageInput extends FilterInputStream {
        StorageInput(InputStream in) {
            super(in);
        }

        @Override
        public int read() {
            try {
                return in.read();
            } catch (IOException e) {
                throw new StorageReadException(e);
            }
        }

        @Override
        public int read(byte[] b, int off, int len) {
            try {
                return in.read(b, off, len);
            } catch (IOException e) {
                throw new StorageReadException(e);
            }
        }
    }
}
