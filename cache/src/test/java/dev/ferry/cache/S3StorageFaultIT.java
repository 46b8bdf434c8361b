package dev.ferry.cache;

import static dev.ferry.cache.StorageContract.MIB;
import static dev.ferry.cache.StorageContract.hex;
import static dev.ferry.cache.StorageContract.sha256Of;
import static dev.ferry.cache.StorageContract.writeGenerated;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ferry.testkit.FaultyTcpProxy;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.model.AbortMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.MultipartUpload;

/**
 * The S3 server fails in the middle of a multipart write: the write must fail with a {@link CacheException}, no object
 * may appear, and writing again once the server is back must succeed. Faults come from a TCP forwarder between the
 * storage and s3proxy ({@link FaultyTcpProxy}), or from stopping s3proxy itself.
 */
class S3StorageFaultIT {
    private static final long SIZE = 40L * MIB;
    private static final AtomicInteger BUCKETS = new AtomicInteger();
    private static S3ProxyServer server;

    private FaultyTcpProxy proxy;
    private S3Storage viaProxy;
    private S3Storage direct;

    @BeforeAll
    static void startServer() throws Exception {
        server = S3ProxyServer.start();
    }

    @AfterAll
    static void stopServer() throws Exception {
        server.close();
    }

    @BeforeEach
    void open() throws IOException {
        String bucket = "ferry-fault-" + BUCKETS.incrementAndGet();
        server.createBucket(bucket);
        proxy = new FaultyTcpProxy(server.port());
        viaProxy = storage(bucket, proxy.endpoint());
        direct = storage(bucket, server.endpoint());
    }

    @AfterEach
    void close() throws IOException {
        viaProxy.close();
        direct.close();
        proxy.close();
    }

    private static S3Storage storage(String bucket, String endpoint) {
        return S3Storage.create(CacheUri.parse("s3://" + bucket + "?endpoint=" + endpoint), S3ProxyServer.credentials(),
                StorageContract.PAGE_SIZE);
    }

    @Test
    void connectionsCutDuringAPartFailTheWriteAbortTheUploadAndARetrySucceeds() throws IOException {
        proxy.failAfter(20 * MIB, FaultyTcpProxy.Fault.CUT_LARGE_REQUESTS);

        assertThatThrownBy(() -> viaProxy.write("nar/cut.nar.zst", SIZE, out -> writeGenerated(out, SIZE, 11)))
                .isInstanceOf(CacheException.class)
                .hasMessageContaining("UploadPart").hasMessageContaining("s3://" + direct.bucket() + "/nar/cut.nar.zst")
                .satisfies(e -> assertThat(e.getSuppressed()).as("abort failures").isEmpty())
                .satisfies(e -> assertThat(S3StorageIT.stackTrace(e)).doesNotContain(S3ProxyServer.SECRET_KEY));
        assertThat(proxy.tripped()).isTrue();
        assertThat(proxy.cuts()).as("the SDK retried the part").isGreaterThan(1);

        // small requests still pass: the abort reached the server
        assertThat(direct.exists("nar/cut.nar.zst")).isFalse();
        assertThat(S3StorageIT.incompleteUploads(direct)).isEmpty();

        proxy.heal();
        assertRetrySucceeds(viaProxy, "nar/cut.nar.zst");
    }

    @Test
    void aWriterThatSwallowsTheFailureCannotCompleteTheObject() {
        proxy.failAfter(12 * MIB, FaultyTcpProxy.Fault.CUT_LARGE_REQUESTS);

        assertThatThrownBy(() -> viaProxy.write("nar/swallowed.nar.zst", SIZE, out -> {
            try {
                writeGenerated(out, SIZE, 15);
            } catch (IOException e) {
                // a careless writer: returns normally although its output failed
            }
        })).isInstanceOf(CacheException.class).hasMessageContaining("UploadPart");
        assertThat(direct.exists("nar/swallowed.nar.zst")).isFalse();
        assertThat(S3StorageIT.incompleteUploads(direct)).isEmpty();
    }

    @Test
    void serverDownDuringTheUploadFailsTheWriteAndNothingAppears() throws IOException {
        proxy.failAfter(20 * MIB, FaultyTcpProxy.Fault.DOWN);

        assertThatThrownBy(() -> viaProxy.write("nar/down.nar.zst", SIZE, out -> writeGenerated(out, SIZE, 12)))
                .isInstanceOf(CacheException.class)
                .hasMessageContaining("s3://" + direct.bucket() + "/nar/down.nar.zst")
                .satisfies(e -> assertThat(Arrays.stream(e.getSuppressed()).map(Throwable::getMessage))
                        .as("the abort could not reach the server either, and says so")
                        .anySatisfy(m -> assertThat(m).contains("AbortMultipartUpload").contains("may remain")));

        proxy.heal();
        assertThat(direct.exists("nar/down.nar.zst")).isFalse();
        assertThat(direct.list("")).isEmpty();
        assertThat(abortLeftovers()).containsExactly("nar/down.nar.zst");

        assertRetrySucceeds(viaProxy, "nar/down.nar.zst");
    }

    @Test
    void s3proxyStoppedWhileTheWriterIsHalfwayAndRestarted() throws Exception {
        CountDownLatch halfway = new CountDownLatch(1);
        CountDownLatch serverStopped = new CountDownLatch(1);
        CompletableFuture<Long> write = CompletableFuture.supplyAsync(() -> direct.write("nar/stopped.nar.zst", SIZE,
                out -> {
                    writeGenerated(out, SIZE / 2, 13);
                    halfway.countDown();
                    try {
                        serverStopped.await();
                    } catch (InterruptedException e) {
                        throw new IOException(e);
                    }
                    writeGenerated(out, SIZE / 2, 14);
                }));
        assertThat(halfway.await(60, TimeUnit.SECONDS)).isTrue();
        server.stop();
        try {
            serverStopped.countDown();
            assertThatThrownBy(() -> write.get(120, TimeUnit.SECONDS)).cause()
                    .isInstanceOf(CacheException.class).hasMessageContaining("nar/stopped.nar.zst");
        } finally {
            server.restart();
        }
        assertThat(direct.exists("nar/stopped.nar.zst")).isFalse();
        assertThat(direct.list("")).isEmpty();
        assertThat(abortLeftovers()).containsExactly("nar/stopped.nar.zst");
        assertRetrySucceeds(direct, "nar/stopped.nar.zst");
    }

    /**
     * Aborts what a failed abort left (what a lifecycle rule or an operator cleans up in production: the parts that
     * reached the server before it went away) and returns the keys of those uploads.
     */
    private List<String> abortLeftovers() {
        List<MultipartUpload> leftovers = S3StorageIT.incompleteUploads(direct);
        for (MultipartUpload upload : leftovers) {
            direct.client().abortMultipartUpload(AbortMultipartUploadRequest.builder().bucket(direct.bucket())
                    .key(upload.key()).uploadId(upload.uploadId()).build());
        }
        return leftovers.stream().map(MultipartUpload::key).toList();
    }

    private void assertRetrySucceeds(S3Storage storage, String key) throws IOException {
        byte[][] sha = new byte[1][];
        assertThat(storage.write(key, SIZE, out -> sha[0] = writeGenerated(out, SIZE, 99))).isEqualTo(SIZE);
        assertThat(sha256Of(direct, key)).isEqualTo(hex(sha[0]));
        assertThat(direct.list("")).containsExactly(key);
        assertThat(S3StorageIT.incompleteUploads(direct)).isEmpty();
    }
}
