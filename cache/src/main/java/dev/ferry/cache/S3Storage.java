package dev.ferry.cache;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.ProfileCredentialsProvider;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.AbortMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.DeleteObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListMultipartUploadsRequest;
import software.amazon.awssdk.services.s3.model.ListMultipartUploadsResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.ListPartsRequest;
import software.amazon.awssdk.services.s3.model.ListPartsResponse;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.NoSuchUploadException;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.utils.SdkAutoCloseable;

/**
 * A cache in an S3 bucket ({@code s3://bucket?endpoint=http://host:9000&region=us-east-1&profile=NAME}), through the
 * AWS SDK's synchronous client over {@code HttpURLConnection}. Objects are written whole or not at all: small ones
 * with one PutObject, larger ones as a multipart upload that is completed only after the writer returns and aborted
 * otherwise ({@link MultipartOutputStream}). Conditional creates are PutObject with {@code If-None-Match: *}.
 *
 * <p>Credentials come from the SDK's default chain, or from a named profile; they never appear in {@link #uri()} or
 * in messages. See {@code docs/storage.md}.
 */
final class S3Storage implements Storage {
    static final int MIB = 1024 * 1024;
    /** Smallest part: S3 allows 5 MiB; 8 MiB is what the AWS CLI uses. Objects up to this size go in one request. */
    static final int MIN_PART_SIZE = 8 * MIB;
    /** Part size when the size is unknown: 10,000 parts of 16 MiB allow objects up to 156.25 GiB. */
    static final int UNKNOWN_SIZE_PART_SIZE = 16 * MIB;
    /** Parts are sized so that the hinted size needs at most this many, leaving room below S3's 10,000. */
    static final int TARGET_MAX_PARTS = 9_000;
    /** S3's largest object. */
    static final long MAX_OBJECT_SIZE = 5L * 1024 * 1024 * MIB;
    static final int DEFAULT_PAGE_SIZE = 1000;
    /** User metadata ({@code x-amz-meta-ferry-claim}) that marks which createIfAbsent call made an object. */
    static final String CLAIM_METADATA = "ferry-claim";
    /** Attempts for a conditional create that S3 answers with 409 (a concurrent conditional write was in progress). */
    private static final int CONFLICT_ATTEMPTS = 5;
    /** Separates the key from the upload id in the name of a leftover (keys never hold a {@code ?}). */
    private static final String UPLOAD_ID = "?uploadId=";

    private final S3Client client;
    private final AwsCredentialsProvider credentials;
    private final String bucket;
    private final String uri;
    private final int pageSize;

    private S3Storage(S3Client client, AwsCredentialsProvider credentials, String bucket, String uri, int pageSize) {
        this.client = client;
        this.credentials = credentials;
        this.bucket = bucket;
        this.uri = uri;
        this.pageSize = pageSize;
    }

    /** Opens the bucket {@code uri} names, with credentials from {@code profile=} or the SDK's default chain. */
    static Storage create(CacheUri uri) {
        String profile = uri.parameters().get("profile");
        AwsCredentialsProvider credentials = profile == null
                ? DefaultCredentialsProvider.builder().build()
                : ProfileCredentialsProvider.builder().profileName(profile).build();
        return create(uri, credentials, DEFAULT_PAGE_SIZE);
    }

    /** For tests: explicit credentials and a small listing page to exercise pagination. */
    static S3Storage create(CacheUri uri, AwsCredentialsProvider credentials, int pageSize) {
        if (!uri.scheme().equals("s3")) {
            throw new IllegalArgumentException("not an s3:// URI: " + uri);
        }
        if (pageSize < 1 || pageSize > DEFAULT_PAGE_SIZE) {
            throw new IllegalArgumentException("page size must be 1 to " + DEFAULT_PAGE_SIZE);
        }
        String region = uri.parameters().getOrDefault("region", "us-east-1");
        if (region.isBlank()) {
            throw new CacheException("cache URI " + uri + ": region= must not be empty");
        }
        S3ClientBuilder builder = S3Client.builder()
                .region(Region.of(region))
                .credentialsProvider(credentials)
                // HttpURLConnection: no Netty, no Apache client. It buffers each request body once (it does not
                // stream fixed-length bodies), which the part size bounds.
                .httpClientBuilder(UrlConnectionHttpClient.builder()
                        .connectionTimeout(Duration.ofSeconds(10))
                        .socketTimeout(Duration.ofSeconds(60)));
        // The SDK's default request checksums (CRC32) stay on, but as a header computed before sending rather than
        // an aws-chunked trailer: every body is an in-memory buffer, so reading it twice costs no I/O. With
        // aws-chunked, s3proxy 4.1.0 answers small PUTs before reading the trailer and drops the connection: the
        // client sees "Error writing request body" for a request the server did commit, and the SDK retries it.
        builder.serviceConfiguration(config -> config.chunkedEncodingEnabled(false));
        endpoint(uri).ifPresent(endpoint -> builder.endpointOverride(endpoint).forcePathStyle(true));
        return new S3Storage(builder.build(), credentials, uri.location(), uri.toString(), pageSize);
    }

    /** {@code endpoint=} as a URI; {@code scheme=} (Nix's name) supplies the scheme when the endpoint has none. */
    private static Optional<URI> endpoint(CacheUri uri) {
        String endpoint = uri.parameters().get("endpoint");
        String scheme = uri.parameters().get("scheme");
        if (endpoint == null || endpoint.isEmpty()) {
            if (scheme != null) {
                throw new CacheException("cache URI " + uri + ": scheme= only applies together with endpoint=");
            }
            return Optional.empty();
        }
        if (scheme != null && !scheme.equals("http") && !scheme.equals("https")) {
            throw new CacheException("cache URI " + uri + ": scheme= must be http or https");
        }
        String text = endpoint.contains("://") ? endpoint : (scheme == null ? "https" : scheme) + "://" + endpoint;
        try {
            URI parsed = new URI(text);
            if (parsed.getHost() == null || !(parsed.getScheme().equals("http") || parsed.getScheme().equals("https"))
                    || (scheme != null && !parsed.getScheme().equals(scheme))) {
                throw new CacheException("cache URI " + uri + ": endpoint= must be http(s)://HOST[:PORT]"
                        + (scheme != null ? " matching scheme=" + scheme : ""));
            }
            return Optional.of(parsed);
        } catch (URISyntaxException e) {
            throw new CacheException("cache URI " + uri + ": endpoint= is malformed: " + e.getReason());
        }
    }

    /**
     * The part size for an object of about {@code sizeHint} bytes: at least {@link #MIN_PART_SIZE}, in whole MiB, and
     * large enough that the object needs at most {@link #TARGET_MAX_PARTS} parts. Unknown sizes (-1) get
     * {@link #UNKNOWN_SIZE_PART_SIZE}.
     */
    static int partSize(long sizeHint) {
        if (sizeHint < 0) {
            return UNKNOWN_SIZE_PART_SIZE;
        }
        if (sizeHint > MAX_OBJECT_SIZE) {
            throw new CacheException("an object of " + sizeHint + " bytes is larger than S3 allows (5 TiB)");
        }
        long perPart = (sizeHint + TARGET_MAX_PARTS - 1) / TARGET_MAX_PARTS;
        long wholeMib = (perPart + MIB - 1) / MIB * MIB;
        return (int) Math.max(MIN_PART_SIZE, wholeMib);
    }

    @Override
    public String uri() {
        return uri;
    }

    @Override
    public Optional<Long> size(String key) {
        ObjectKeys.check(key);
        return head(key).map(HeadObjectResponse::contentLength);
    }

    private Optional<HeadObjectResponse> head(String key) {
        try {
            return Optional.of(client.headObject(HeadObjectRequest.builder().bucket(bucket).key(key).build()));
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return Optional.empty();
            }
            throw failure("HeadObject", key, e);
        } catch (SdkException e) {
            throw failure("HeadObject", key, e);
        }
    }

    @Override
    public Optional<StoredObject> open(String key) {
        ObjectKeys.check(key);
        return get(key, GetObjectRequest.builder().bucket(bucket).key(key).build());
    }

    /** One {@code GetObject} with a {@code Range}: S3 sends only the part. */
    @Override
    public Optional<StoredObject> open(String key, long first, long length) {
        ObjectKeys.check(key);
        return get(key, GetObjectRequest.builder().bucket(bucket).key(key)
                .range("bytes=" + first + "-" + (first + length - 1)).build());
    }

    /** The object {@code request} asks for, its size the length S3 sends; empty if there is no such key. */
    private Optional<StoredObject> get(String key, GetObjectRequest request) {
        try {
            ResponseInputStream<GetObjectResponse> in = client.getObject(request);
            return Optional.of(new StoredObject(in.response().contentLength(), in));
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        } catch (SdkException e) {
            throw failure("GetObject", key, e);
        }
    }

    @Override
    public long write(String key, long sizeHint, ContentWriter writer) {
        ObjectKeys.check(key);
        MultipartOutputStream out = new MultipartOutputStream(client, bucket, key, partSize(sizeHint), sizeHint);
        try {
            writer.writeTo(out);
        } catch (IOException e) {
            CacheException failure = out.failure()
                    .orElseGet(() -> new CacheException("writing " + location(key) + " failed: " + e, e));
            out.abort().ifPresent(failure::addSuppressed);
            throw failure;
        } catch (RuntimeException | Error e) {
            out.abort().ifPresent(e::addSuppressed);
            throw e;
        }
        return out.finish();
    }

    @Override
    public void put(String key, byte[] content) {
        ObjectKeys.check(key);
        try {
            client.putObject(PutObjectRequest.builder().bucket(bucket).key(key).contentLength((long) content.length)
                    .build(), MultipartOutputStream.body(content, content.length));
        } catch (SdkException e) {
            throw failure("PutObject", key, e);
        }
    }

    /**
     * PutObject with {@code If-None-Match: *}; 412 means the key was taken. Each call tags its object with a random
     * claim in user metadata: when the SDK retried a request whose first attempt did succeed (the response was lost),
     * the retry sees 412 for our own object, and the claim tells that apart from someone else's.
     */
    @Override
    public boolean createIfAbsent(String key, byte[] content) {
        ObjectKeys.check(key);
        String claim = UUID.randomUUID().toString();
        PutObjectRequest request = PutObjectRequest.builder().bucket(bucket).key(key)
                .contentLength((long) content.length).ifNoneMatch("*").metadata(Map.of(CLAIM_METADATA, claim)).build();
        for (int attempt = 1; ; attempt++) {
            try {
                client.putObject(request, MultipartOutputStream.body(content, content.length));
                return true;
            } catch (S3Exception e) {
                if (e.statusCode() == 412) {
                    return claimOf(key).filter(claim::equals).isPresent();
                }
                if (e.statusCode() == 409 && attempt < CONFLICT_ATTEMPTS) {
                    pause(Duration.ofMillis(50L * attempt), key, e);
                    continue;
                }
                throw failure("PutObject (If-None-Match: *)", key, e);
            } catch (SdkException e) {
                throw failure("PutObject (If-None-Match: *)", key, e);
            }
        }
    }

    private Optional<String> claimOf(String key) {
        return head(key).map(response -> response.metadata().get(CLAIM_METADATA));
    }

    @Override
    public void delete(String key) {
        ObjectKeys.check(key);
        try {
            client.deleteObject(DeleteObjectRequest.builder().bucket(bucket).key(key).build());
        } catch (SdkException e) {
            throw failure("DeleteObject", key, e);
        }
    }

    @Override
    public List<ObjectInfo> listInfo(String prefix) {
        int slash = prefix.lastIndexOf('/');
        if (slash >= 0) {
            ObjectKeys.check(prefix.substring(0, slash));
        }
        ListObjectsV2Request.Builder request = ListObjectsV2Request.builder().bucket(bucket).maxKeys(pageSize);
        if (!prefix.isEmpty()) {
            request.prefix(prefix);
        }
        List<ObjectInfo> objects = new ArrayList<>();
        try {
            for (ListObjectsV2Response page : client.listObjectsV2Paginator(request.build())) {
                for (S3Object object : page.contents()) {
                    // Objects put there by other tools may have keys Ferry never writes; they are not listed.
                    if (ObjectKeys.isValid(object.key())) {
                        // A server that gives no time makes the object look new: never old enough to collect.
                        objects.add(new ObjectInfo(object.key(), object.size() == null ? 0 : object.size(),
                                object.lastModified() == null ? java.time.Instant.now() : object.lastModified()));
                    }
                }
            }
        } catch (SdkException e) {
            throw new CacheException("S3 ListObjectsV2 of s3://" + bucket + "/" + prefix + "* failed: "
                    + reason(e), e);
        }
        objects.sort(Comparator.comparing(ObjectInfo::key));
        return objects;
    }

    /**
     * The NARs' multipart uploads never completed nor aborted (a publisher killed mid-NAR: it cannot abort, and S3 keeps
     * their parts, and bills them, until a lifecycle rule or this removes them), named {@code <key>?uploadId=<id>},
     * with the size of their parts and the time they were started.
     */
    @Override
    public List<ObjectInfo> leftovers() {
        List<ObjectInfo> uploads = new ArrayList<>();
        try {
            // Only NARs are big enough for multipart: another tool's upload elsewhere in the bucket is not Ferry's.
            for (ListMultipartUploadsResponse page : client.listMultipartUploadsPaginator(
                    ListMultipartUploadsRequest.builder().bucket(bucket).prefix(BinaryCache.NAR_PREFIX)
                            .maxUploads(pageSize).build())) {
                for (MultipartUpload upload : page.uploads()) {
                    if (!ObjectKeys.isValid(upload.key())) {
                        continue;
                    }
                    long size = 0;
                    try {
                        for (ListPartsResponse parts : client.listPartsPaginator(ListPartsRequest.builder()
                                .bucket(bucket).key(upload.key()).uploadId(upload.uploadId()).build())) {
                            size += parts.parts().stream().mapToLong(p -> p.size() == null ? 0 : p.size()).sum();
                        }
                    } catch (NoSuchUploadException e) {
                        continue; // completed or aborted since it was listed
                    }
                    // A server that gives no time makes the upload look new: never old enough to collect.
                    uploads.add(new ObjectInfo(upload.key() + UPLOAD_ID + upload.uploadId(), size,
                            upload.initiated() == null ? java.time.Instant.now() : upload.initiated()));
                }
            }
        } catch (SdkException e) {
            throw new CacheException("S3 ListMultipartUploads of s3://" + bucket + " failed: " + reason(e), e);
        }
        uploads.sort(Comparator.comparing(ObjectInfo::key));
        return uploads;
    }

    /** Aborts one of {@link #leftovers()}: its parts are deleted. One already ended is not an error. */
    @Override
    public void deleteLeftover(String name) {
        int at = name.indexOf(UPLOAD_ID);
        if (at <= 0 || at + UPLOAD_ID.length() == name.length()) {
            throw new InvalidKeyException("'" + name + "' is not an incomplete multipart upload of " + uri());
        }
        String key = name.substring(0, at);
        ObjectKeys.check(key);
        if (!key.startsWith(BinaryCache.NAR_PREFIX)) {
            throw new InvalidKeyException("'" + name + "' is not an upload of a NAR: not Ferry's to abort");
        }
        try {
            client.abortMultipartUpload(AbortMultipartUploadRequest.builder().bucket(bucket).key(key)
                    .uploadId(name.substring(at + UPLOAD_ID.length())).build());
        } catch (NoSuchUploadException e) {
            // completed or aborted since it was listed
        } catch (SdkException e) {
            throw failure("AbortMultipartUpload", key, e);
        }
    }

    @Override
    public void close() {
        client.close();
        if (credentials instanceof SdkAutoCloseable closeable) {
            closeable.close();
        }
    }

    S3Client client() {
        return client;
    }

    String bucket() {
        return bucket;
    }

    private String location(String key) {
        return "s3://" + bucket + "/" + key;
    }

    /**
     * The SDK's message, except when no credentials were found: the SDK then lists every provider of its chain (about
     * 1.5 KB); this names what to set instead.
     */
    static String reason(SdkException e) {
        String message = String.valueOf(e.getMessage());
        if (e instanceof SdkClientException && message.startsWith("Unable to load credentials")) {
            return "no S3 credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or "
                    + "profile=NAME in the cache URI (the AWS SDK's default chain found none; docs/storage.md)";
        }
        return message;
    }

    private CacheException failure(String operation, String key, SdkException e) {
        return new CacheException("S3 " + operation + " of " + location(key) + " failed: " + reason(e), e);
    }

    private void pause(Duration duration, String key, S3Exception cause) {
        try {
            Thread.sleep(duration);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw failure("PutObject (If-None-Match: *), interrupted while retrying", key, cause);
        }
    }
}
