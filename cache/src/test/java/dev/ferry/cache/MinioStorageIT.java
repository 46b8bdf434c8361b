package dev.ferry.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.services.s3.model.ListMultipartUploadsRequest;

/**
 * The storage contract against MinIO in a container, where a Docker engine answers. Elsewhere (these machines have
 * none) the whole class is skipped by a JUnit assumption, under CI too, and that is fine: {@link S3StorageIT} against
 * s3proxy in the test JVM is the S3 coverage that counts; this class only adds a second, independent server.
 */
class MinioStorageIT extends StorageContract {
    /** A pinned release, so that the test means the same thing everywhere (not checked from here: no engine). */
    private static final DockerImageName IMAGE = DockerImageName.parse("minio/minio:RELEASE.2025-04-22T22-12-26Z");
    private static final String USER = "ferry-minio";
    private static final String PASSWORD = "ferry-minio-secret";
    private static final AtomicInteger BUCKETS = new AtomicInteger();

    private static GenericContainer<?> minio;
    private S3Storage storage;

    @BeforeAll
    static void startMinio() {
        assumeTrue(DockerClientFactory.instance().isDockerAvailable(),
                "no Docker engine answers: MinIO contract skipped (S3StorageIT covers S3 with s3proxy)");
        minio = new GenericContainer<>(IMAGE)
                .withCommand("server", "/data")
                .withEnv("MINIO_ROOT_USER", USER)
                .withEnv("MINIO_ROOT_PASSWORD", PASSWORD)
                .withExposedPorts(9000)
                .waitingFor(Wait.forHttp("/minio/health/ready").forPort(9000));
        minio.start();
    }

    @AfterAll
    static void stopMinio() {
        if (minio != null) {
            minio.stop();
        }
    }

    @BeforeEach
    void open() {
        String bucket = "ferry-minio-" + BUCKETS.incrementAndGet();
        String endpoint = "http://" + minio.getHost() + ":" + minio.getMappedPort(9000);
        storage = S3Storage.create(CacheUri.parse("s3://" + bucket + "?endpoint=" + endpoint),
                StaticCredentialsProvider.create(AwsBasicCredentials.create(USER, PASSWORD)), PAGE_SIZE);
        storage.client().createBucket(request -> request.bucket(bucket));
    }

    @AfterEach
    void close() {
        storage.close();
    }

    @Override
    Storage storage() {
        return storage;
    }

    @Override
    void assertNoIncompleteWrites() {
        assertThat(storage.client().listMultipartUploads(ListMultipartUploadsRequest.builder()
                .bucket(storage.bucket()).build()).uploads()).isEmpty();
    }
}
