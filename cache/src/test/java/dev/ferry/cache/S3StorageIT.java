package dev.ferry.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.model.ListMultipartUploadsRequest;
import software.amazon.awssdk.services.s3.model.MultipartUpload;

/**
 * The storage contract against a real S3 server: s3proxy 4.1.0 in this JVM, reached over HTTP with signature V4 and
 * the SDK's default checksums. Each test gets a bucket of its own; listing pages hold {@link #PAGE_SIZE} keys.
 */
class S3StorageIT extends StorageContract {
    private static final AtomicInteger BUCKETS = new AtomicInteger();
    private static S3ProxyServer server;

    private S3Storage storage;

    @BeforeAll
    static void startServer() throws Exception {
        server = S3ProxyServer.start();
    }

    @AfterAll
    static void stopServer() throws Exception {
        server.close();
    }

    @BeforeEach
    void open() {
        storage = openBucket(PAGE_SIZE);
    }

    @AfterEach
    void close() {
        storage.close();
    }

    private static S3Storage openBucket(int pageSize) {
        String bucket = "ferry-contract-" + BUCKETS.incrementAndGet();
        server.createBucket(bucket);
        return S3Storage.create(CacheUri.parse("s3://" + bucket + "?endpoint=" + server.endpoint()
                + "&region=us-east-1"), S3ProxyServer.credentials(), pageSize);
    }

    @Override
    Storage storage() {
        return storage;
    }

    @Override
    void assertNoIncompleteWrites() {
        assertThat(incompleteUploads(storage)).as("incomplete multipart uploads").isEmpty();
    }

    static List<MultipartUpload> incompleteUploads(S3Storage storage) {
        return storage.client().listMultipartUploads(ListMultipartUploadsRequest.builder()
                .bucket(storage.bucket()).build()).uploads();
    }

    /** What a publisher killed mid-NAR leaves (it cannot abort): listed as a leftover, with its parts' size. */
    @Test
    void anIncompleteMultipartUploadIsALeftoverThatGcCanAbort() {
        var client = storage.client();
        String upload = client.createMultipartUpload(b -> b.bucket(storage.bucket()).key("nar/killed.nar.zst"))
                .uploadId();
        client.uploadPart(b -> b.bucket(storage.bucket()).key("nar/killed.nar.zst").uploadId(upload).partNumber(1),
                software.amazon.awssdk.core.sync.RequestBody.fromBytes(new byte[12345]));
        // Another tool's uploads elsewhere in the bucket are not Ferry's to end, valid keys or not.
        client.createMultipartUpload(b -> b.bucket(storage.bucket()).key("their uploads/x y"));
        client.createMultipartUpload(b -> b.bucket(storage.bucket()).key("backups/db.tar"));

        List<ObjectInfo> leftovers = storage.leftovers();

        assertThat(leftovers).singleElement().satisfies(l -> {
            assertThat(l.key()).isEqualTo("nar/killed.nar.zst?uploadId=" + upload);
            assertThat(l.size()).isEqualTo(12345);
            assertThat(l.lastModified()).isBetween(java.time.Instant.now().minusSeconds(60), java.time.Instant.now()
                    .plusSeconds(60));
        });
        assertThat(storage.listInfo("")).as("invisible to readers").isEmpty();
        storage.deleteLeftover(leftovers.getFirst().key());
        assertThat(storage.leftovers()).isEmpty();
        assertThat(incompleteUploads(storage)).extracting(MultipartUpload::key)
                .containsExactlyInAnyOrder("their uploads/x y", "backups/db.tar");
        storage.deleteLeftover(leftovers.getFirst().key()); // already ended: not an error
        assertThatThrownBy(() -> storage.deleteLeftover("nar/killed.nar.zst"))
                .isInstanceOf(InvalidKeyException.class).hasMessageContaining("not an incomplete multipart upload");
        assertThatThrownBy(() -> storage.deleteLeftover("../x?uploadId=1")).isInstanceOf(InvalidKeyException.class);
    }

    @Test
    void invalidKeysNeverReachTheServer() throws IOException {
        int closedPort = dev.ferry.testkit.TestEnv.freePorts(1)[0];
        try (S3Storage unreachable = S3Storage.create(CacheUri.parse("s3://nowhere?endpoint=http://127.0.0.1:"
                + closedPort), S3ProxyServer.credentials(), PAGE_SIZE)) {
            for (String key : INVALID_KEYS) {
                assertThatThrownBy(() -> unreachable.open(key)).isInstanceOf(InvalidKeyException.class);
                assertThatThrownBy(() -> unreachable.write(key, -1, out -> out.write(1)))
                        .isInstanceOf(InvalidKeyException.class);
                assertThatThrownBy(() -> unreachable.createIfAbsent(key, new byte[1]))
                        .isInstanceOf(InvalidKeyException.class);
            }
            // while a valid key does reach for the (absent) server
            assertThatThrownBy(() -> unreachable.size("ok")).isExactlyInstanceOf(CacheException.class)
                    .hasMessageContaining("HeadObject").hasMessageContaining("s3://nowhere/ok");
        }
    }

    @Test
    void uriAndErrorsNeverCarryTheSecret() {
        assertThat(storage.uri()).startsWith("s3://ferry-contract-").contains("endpoint=" + server.endpoint())
                .doesNotContain(S3ProxyServer.SECRET_KEY).doesNotContain(S3ProxyServer.ACCESS_KEY);
        try (S3Storage missing = S3Storage.create(CacheUri.parse("s3://no-such-bucket?endpoint=" + server.endpoint()),
                S3ProxyServer.credentials(), PAGE_SIZE)) {
            assertThatThrownBy(() -> missing.put("x", new byte[1])).isInstanceOf(CacheException.class)
                    .hasMessageContaining("PutObject").hasMessageContaining("s3://no-such-bucket/x")
                    .satisfies(e -> assertThat(stackTrace(e)).doesNotContain(S3ProxyServer.SECRET_KEY));
        }
    }

    @Test
    void aMissingBucketIsAnErrorNotAnEmptyCache() {
        try (S3Storage missing = S3Storage.create(CacheUri.parse("s3://no-such-bucket?endpoint=" + server.endpoint()),
                S3ProxyServer.credentials(), PAGE_SIZE)) {
            assertThatThrownBy(() -> missing.open("x")).isInstanceOf(CacheException.class)
                    .hasMessageContaining("GetObject").hasMessageContaining("404");
            assertThatThrownBy(() -> missing.list("")).isInstanceOf(CacheException.class)
                    .hasMessageContaining("ListObjectsV2");
            // HEAD answers without a body: a missing bucket looks like a missing key (docs/storage.md says so)
            assertThat(missing.size("x")).isEmpty();
        }
    }

    @Test
    void wrongCredentialsFailWithoutEchoingThem() {
        var wrong = software.amazon.awssdk.auth.credentials.StaticCredentialsProvider.create(
                software.amazon.awssdk.auth.credentials.AwsBasicCredentials.create(S3ProxyServer.ACCESS_KEY,
                        "not-the-secret-91"));
        try (S3Storage denied = S3Storage.create(CacheUri.parse(storage.uri()), wrong, PAGE_SIZE)) {
            assertThatThrownBy(() -> denied.put("x", new byte[1])).isInstanceOf(CacheException.class)
                    .satisfies(e -> assertThat(e.getMessage()).contains("403"))
                    .satisfies(e -> assertThat(stackTrace(e)).doesNotContain("not-the-secret-91"));
        }
    }

    /** Small but not empty, like a narinfo; the empty object is covered in the contract. */
    private static final byte[] NARINFO = "StorePath: /nix/store/x\n".getBytes(StandardCharsets.UTF_8);

    @Test
    void listsPastTheDefaultPageOfAThousandKeys() {
        try (S3Storage defaultPages = openBucket(S3Storage.DEFAULT_PAGE_SIZE)) {
            int count = 1_100;
            try (ExecutorService pool = Executors.newFixedThreadPool(8)) {
                IntStream.range(0, count).forEach(i -> pool.execute(() -> defaultPages.put("narinfo/" + i, NARINFO)));
            }
            assertThat(defaultPages.list("narinfo/")).hasSize(count).isSorted();
        }
    }

    @Test
    void cacheUriWithAProfileUsesThatProfilesCredentials(@TempDir Path dir) throws IOException {
        Path credentialsFile = dir.resolve("credentials");
        Files.writeString(credentialsFile, "[ferry-test]\naws_access_key_id = " + S3ProxyServer.ACCESS_KEY
                + "\naws_secret_access_key = " + S3ProxyServer.SECRET_KEY + "\n[stranger]\naws_access_key_id = nobody\n"
                + "aws_secret_access_key = wrong-secret-77\n");
        Path configFile = Files.writeString(dir.resolve("config"), "");
        String bucket = storage.uri().substring("s3://".length(), storage.uri().indexOf('?'));
        String oldCredentials = System.setProperty("aws.sharedCredentialsFile", credentialsFile.toString());
        String oldConfig = System.setProperty("aws.configFile", configFile.toString());
        try {
            try (Storage viaProfile = CacheUri.parse("s3://" + bucket + "?endpoint=" + server.endpoint()
                    + "&profile=ferry-test").open()) {
                viaProfile.put("from-profile", "hello".getBytes(StandardCharsets.UTF_8));
                assertThat(StorageContract.read(viaProfile, "from-profile")).asString(StandardCharsets.UTF_8)
                        .isEqualTo("hello");
                assertThat(viaProfile.uri()).doesNotContain(S3ProxyServer.SECRET_KEY);
            }
            try (Storage stranger = CacheUri.parse("s3://" + bucket + "?endpoint=" + server.endpoint()
                    + "&profile=stranger").open()) {
                assertThatThrownBy(() -> stranger.put("x", new byte[1])).isInstanceOf(CacheException.class)
                        .satisfies(e -> assertThat(stackTrace(e)).doesNotContain("wrong-secret-77"));
            }
        } finally {
            restore("aws.sharedCredentialsFile", oldCredentials);
            restore("aws.configFile", oldConfig);
        }
    }

    private static void restore(String property, String value) {
        if (value == null) {
            System.clearProperty(property);
        } else {
            System.setProperty(property, value);
        }
    }

    static String stackTrace(Throwable e) {
        var text = new java.io.StringWriter();
        e.printStackTrace(new java.io.PrintWriter(text));
        return text.toString();
    }
}
