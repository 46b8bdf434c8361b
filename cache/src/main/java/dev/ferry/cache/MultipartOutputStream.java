package dev.ferry.cache;

import java.io.IOException;
import java.io.ByteArrayInputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.AbortMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.ChecksumAlgorithm;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CompletedMultipartUpload;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;
import software.amazon.awssdk.services.s3.model.UploadPartResponse;

/**
 * The stream {@link S3Storage#write} hands to a writer. It fills a buffer of one part; content that fits in one
 * part goes up as a single PutObject when the writer is done. Beyond that it starts a multipart upload and sends
 * each full part on a virtual thread while the writer fills the next buffer, so at most two part buffers exist and
 * at most one part is in flight.
 *
 * <p>Nothing becomes visible before {@link #finish()}; {@link #abort()} (or a failed part, which leaves the stream
 * failed for good) discards the upload. {@link #close()} does not complete anything: writers often close the
 * stream through a compressor, and completing is the storage's decision, taken after the writer returns.
 *
 * <p>One writer thread uses a stream; a part upload reads only what was fixed before it started.
 */
final class MultipartOutputStream extends OutputStream {
    /** S3 refuses more parts than this in one upload. */
    static final int S3_MAX_PARTS = 10_000;
    private static final int INITIAL_BUFFER = 64 * 1024;

    private final S3Client client;
    private final String bucket;
    private final String key;
    private final int partSize;
    private final String location;

    private final byte[] single = new byte[1];
    private byte[] buffer;
    private int length;
    private byte[] spare;
    private long count;

    private String uploadId;
    private final List<CompletedPart> parts = new ArrayList<>();
    private FutureTask<CompletedPart> inFlight;
    private CacheException failure;
    private boolean closed;
    private boolean done;

    /**
     * @param sizeHint the expected size, or -1: only sizes the first buffer, so small objects do not cost a part
     */
    MultipartOutputStream(S3Client client, String bucket, String key, int partSize, long sizeHint) {
        this.client = client;
        this.bucket = bucket;
        this.key = key;
        this.partSize = partSize;
        this.location = "s3://" + bucket + "/" + key;
        int initial = sizeHint >= 0 ? (int) Math.min(partSize, Math.max(sizeHint, 1)) : INITIAL_BUFFER;
        this.buffer = new byte[Math.min(initial, partSize)];
    }

    @Override
    public void write(int b) throws IOException {
        single[0] = (byte) b;
        write(single, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        checkWritable();
        try {
            while (len > 0) {
                if (length == partSize) {
                    sendBuffer();
                }
                ensureCapacity(Math.min(partSize, length + len));
                int n = Math.min(len, buffer.length - length);
                System.arraycopy(b, off, buffer, length, n);
                length += n;
                count += n;
                off += n;
                len -= n;
            }
        } catch (CacheException e) {
            failure = e;
            throw new IOException(e.getMessage(), e);
        }
    }

    /** Does nothing: parts leave when they are full, the rest when the storage finishes the object. */
    @Override
    public void flush() {
    }

    /** Refuses further writes; does not complete the object (see the class comment). */
    @Override
    public void close() {
        closed = true;
    }

    long count() {
        return count;
    }

    /** Why the stream failed (a part upload, or too many parts), if it did. */
    Optional<CacheException> failure() {
        return Optional.ofNullable(failure);
    }

    /**
     * Makes the object visible: one PutObject, or the last part and CompleteMultipartUpload. On failure the upload is
     * aborted and the exception says why.
     *
     * @return the object's size
     */
    long finish() {
        if (done) {
            throw new IllegalStateException("already finished or aborted");
        }
        if (failure != null) {
            throw abortAfter(failure);
        }
        try {
            if (uploadId == null) {
                putSingle();
            } else {
                if (length > 0) {
                    sendBuffer();
                }
                awaitInFlight();
                complete();
            }
            done = true;
            closed = true;
            buffer = null;
            spare = null;
            return count;
        } catch (CacheException e) {
            throw abortAfter(e);
        }
    }

    /**
     * Discards whatever was uploaded: waits for a part in flight, then AbortMultipartUpload. Never throws; a failure to
     * abort is returned so that the caller can attach it to the error it reports.
     */
    Optional<CacheException> abort() {
        if (done) {
            return Optional.empty();
        }
        done = true;
        closed = true;
        buffer = null;
        spare = null;
        if (inFlight != null) {
            boolean interrupted = false;
            while (true) {
                try {
                    inFlight.get();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    break;
                }
            }
            inFlight = null;
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        if (uploadId == null) {
            return Optional.empty();
        }
        try {
            client.abortMultipartUpload(AbortMultipartUploadRequest.builder()
                    .bucket(bucket).key(key).uploadId(uploadId).build());
            return Optional.empty();
        } catch (SdkException e) {
            return Optional.of(new CacheException("S3 AbortMultipartUpload of " + location + " (upload " + uploadId
                    + ") failed, so its parts may remain until a lifecycle rule removes incomplete uploads: "
                    + e.getMessage(), e));
        }
    }

    private CacheException abortAfter(CacheException cause) {
        abort().ifPresent(cause::addSuppressed);
        return cause;
    }

    private void checkWritable() throws IOException {
        if (failure != null) {
            throw new IOException(failure.getMessage(), failure);
        }
        if (closed) {
            throw new IOException("the stream for " + location + " is closed");
        }
    }

    private void ensureCapacity(int needed) {
        if (buffer.length < needed) {
            int grown = (int) Math.min(partSize, Math.max(needed, 2L * buffer.length));
            buffer = Arrays.copyOf(buffer, grown);
        }
    }

    /**
     * Hands the buffer to a part upload on a virtual thread, after the part before it has gone, and continues in the
     * spare buffer (the one that part was read from: never reused while a request might still read it).
     */
    private void sendBuffer() {
        if (uploadId == null) {
            start();
        }
        awaitInFlight();
        if (parts.size() == S3_MAX_PARTS) {
            throw new CacheException("writing " + location + ": the object needs more than " + S3_MAX_PARTS
                    + " parts of " + (partSize >> 20) + " MiB; pass a size hint so that larger parts are chosen");
        }
        int partNumber = parts.size() + 1;
        byte[] full = buffer;
        int fullLength = length;
        inFlight = new FutureTask<>(() -> uploadPart(partNumber, full, fullLength));
        Thread.ofVirtual().name("s3-part-" + partNumber).start(inFlight);
        buffer = spare != null ? spare : new byte[partSize];
        spare = full;
        length = 0;
    }

    /** Waits for the part in flight, if any, and records it; a failed part fails the stream for good. */
    private void awaitInFlight() {
        if (inFlight == null) {
            return;
        }
        try {
            parts.add(inFlight.get());
            inFlight = null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failure = new CacheException("writing " + location + " was interrupted", e);
            throw failure;
        } catch (ExecutionException e) {
            inFlight = null;
            failure = e.getCause() instanceof CacheException c ? c
                    : new CacheException("uploading a part of " + location + " failed: " + e.getCause(), e.getCause());
            throw failure;
        }
    }

    private void start() {
        try {
            uploadId = client.createMultipartUpload(CreateMultipartUploadRequest.builder()
                    .bucket(bucket).key(key).checksumAlgorithm(ChecksumAlgorithm.CRC32).build()).uploadId();
        } catch (SdkException e) {
            throw new CacheException("S3 CreateMultipartUpload of " + location + " failed: " + S3Storage.reason(e), e);
        }
    }

    private CompletedPart uploadPart(int partNumber, byte[] content, int contentLength) {
        try {
            UploadPartResponse response = client.uploadPart(UploadPartRequest.builder()
                    .bucket(bucket).key(key).uploadId(uploadId).partNumber(partNumber)
                    .contentLength((long) contentLength).checksumAlgorithm(ChecksumAlgorithm.CRC32).build(),
                    body(content, contentLength));
            return CompletedPart.builder().partNumber(partNumber).eTag(response.eTag())
                    .checksumCRC32(response.checksumCRC32()).build();
        } catch (SdkException e) {
            throw new CacheException("S3 UploadPart " + partNumber + " of " + location + " (upload " + uploadId
                    + ") failed: " + S3Storage.reason(e), e);
        }
    }

    private void complete() {
        try {
            client.completeMultipartUpload(CompleteMultipartUploadRequest.builder()
                    .bucket(bucket).key(key).uploadId(uploadId)
                    .multipartUpload(CompletedMultipartUpload.builder().parts(parts).build()).build());
        } catch (SdkException e) {
            throw new CacheException("S3 CompleteMultipartUpload of " + location + " (upload " + uploadId
                    + ", " + parts.size() + " parts) failed: " + S3Storage.reason(e), e);
        }
    }

    private void putSingle() {
        try {
            client.putObject(PutObjectRequest.builder().bucket(bucket).key(key).contentLength((long) length).build(),
                    body(buffer, length));
        } catch (SdkException e) {
            throw new CacheException("S3 PutObject of " + location + " failed: " + S3Storage.reason(e), e);
        }
    }

    /** A request body over the first {@code length} bytes of {@code content}, without copying them. */
    static RequestBody body(byte[] content, int length) {
        ContentStreamProvider provider = () -> new ByteArrayInputStream(content, 0, length);
        return RequestBody.fromContentProvider(provider, length, "application/octet-stream");
    }
}
