package dev.ferry.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** S3 storage without a server: part sizing and what a cache URI may say. Opening a client does no I/O. */
class S3StorageTest {
    private static final long MIB = 1024 * 1024;
    private static final long GIB = 1024 * MIB;

    @ParameterizedTest(name = "{0} bytes")
    @ValueSource(longs = {0, 1, 8 * MIB, 70 * GIB, 70 * GIB + 1, 100 * GIB, 1024 * GIB, 5 * 1024 * GIB})
    void partsAreWholeMibOfAtLeast8AndAHintedObjectNeedsAtMost9000(long size) {
        long part = S3Storage.partSize(size);
        assertThat(part).isGreaterThanOrEqualTo(8 * MIB);
        assertThat(part % MIB).isZero();
        assertThat((size + part - 1) / part).isLessThanOrEqualTo(9_000);
        if (size <= 9_000 * 8 * MIB) {
            assertThat(part).isEqualTo(8 * MIB);
        }
    }

    @Test
    void unknownSizesGet16MibPartsAndTooLargeIsRefused() {
        assertThat(S3Storage.partSize(-1)).isEqualTo(16 * MIB);
        assertThat(MultipartOutputStream.S3_MAX_PARTS * 16 * MIB).isEqualTo(10_000 * 16 * MIB);
        assertThatThrownBy(() -> S3Storage.partSize(5 * 1024 * GIB + 1)).isInstanceOf(CacheException.class)
                .hasMessageContaining("5 TiB");
    }

    @Test
    void cacheUrisOpenWithoutTalkingToTheServer() {
        for (String uri : new String[] {"s3://ferry-cache", "s3://ferry-cache?region=eu-central-1",
                "s3://ferry-cache?endpoint=http://127.0.0.1:9000&region=us-east-1",
                "s3://ferry-cache?endpoint=minio.internal:9000&scheme=http",
                "s3://ferry-cache?endpoint=https://s3.example.org&scheme=https&profile=ci"}) {
            try (Storage storage = CacheUri.parse(uri).open()) {
                assertThat(storage).isInstanceOf(S3Storage.class);
                assertThat(storage.uri()).isEqualTo(uri);
            }
        }
    }

    @Test
    void badEndpointsAndRegionsAreRefusedWithTheUri() {
        for (String uri : new String[] {"s3://ferry-cache?scheme=http",
                "s3://ferry-cache?endpoint=minio:9000&scheme=ftp",
                "s3://ferry-cache?endpoint=http://minio:9000&scheme=https",
                "s3://ferry-cache?endpoint=ftp://minio:9000",
                "s3://ferry-cache?endpoint=http://",
                "s3://ferry-cache?region="}) {
            assertThatThrownBy(() -> CacheUri.parse(uri).open()).as(uri).isInstanceOf(CacheException.class)
                    .hasMessageContaining("ferry-cache");
        }
    }

    @Test
    void noCredentialsIsOneLineNamingWhatToSetNotTheSdksChain() {
        // What the SDK's default chain says when it finds nothing (trimmed: it lists every provider it tried).
        var none = software.amazon.awssdk.core.exception.SdkClientException.create("Unable to load credentials from "
                + "any of the providers in the chain AwsCredentialsProviderChain(credentialsProviders=[...]) : [...]");
        assertThat(S3Storage.reason(none)).isEqualTo("no S3 credentials found: set AWS_ACCESS_KEY_ID and "
                + "AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or profile=NAME in the cache URI (the AWS SDK's default chain "
                + "found none; docs/storage.md)");
        var other = software.amazon.awssdk.core.exception.SdkClientException.create("Unable to execute HTTP request");
        assertThat(S3Storage.reason(other)).isEqualTo("Unable to execute HTTP request");
    }
}
