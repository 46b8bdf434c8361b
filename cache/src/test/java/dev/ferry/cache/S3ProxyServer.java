package dev.ferry.cache;

import java.net.URI;
import java.util.Properties;
import org.gaul.s3proxy.BlobStores;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.blobstore.BlobStore;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * A real S3 server in the test JVM: s3proxy 4.1.0 over an in-memory blob store, on a free loopback port, with
 * signature V4 authentication. It can be stopped and started again on the same port with the same content.
 */
public final class S3ProxyServer implements AutoCloseable {
    public static final String ACCESS_KEY = "ferry-test-access";
    public static final String SECRET_KEY = "ferry-test-secret-4f9c2a";

    private final BlobStore blobStore;
    private S3Proxy proxy;
    private int port;

    private S3ProxyServer(BlobStore blobStore) {
        this.blobStore = blobStore;
    }

    public static S3ProxyServer start() throws Exception {
        S3ProxyServer server = new S3ProxyServer(BlobStores.create("transient-nio2", new Properties()));
        server.startOn(0);
        return server;
    }

    private void startOn(int wanted) throws Exception {
        proxy = S3Proxy.builder()
                .blobStore(blobStore)
                .endpoint(URI.create("http://127.0.0.1:" + wanted))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
                .build();
        proxy.start();
        while (!proxy.getState().equals("STARTED")) {
            Thread.sleep(10);
        }
        port = proxy.getPort();
    }

    /** Stops serving; the content stays. */
    void stop() throws Exception {
        proxy.stop();
    }

    /** Serves again on the same port, with the content it had. */
    void restart() throws Exception {
        startOn(port);
    }

    int port() {
        return port;
    }

    public String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    public void createBucket(String bucket) {
        blobStore.createContainer(bucket);
    }

    static AwsCredentialsProvider credentials() {
        return StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY));
    }

    @Override
    public void close() {
        try {
            proxy.stop();
        } catch (Exception e) {
            throw new IllegalStateException("stopping s3proxy", e);
        } finally {
            blobStore.close();
        }
    }
}
