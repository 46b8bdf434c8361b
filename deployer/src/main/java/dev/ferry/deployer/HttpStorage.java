package dev.ferry.deployer;

import dev.ferry.cache.Storage;
import dev.ferry.cache.StoredObject;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A Ferry server's cache read over HTTP ({@code http(s)://HOST/cache}): enough {@link Storage} for an agent to read
 * manifest generations. Read-only; it cannot list, so readers probe generation numbers (as {@code ManifestStore}
 * does from {@code manifest.json}'s hint).
 */
public final class HttpStorage implements Storage {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final URI base;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10))
            .followRedirects(HttpClient.Redirect.NORMAL).build();

    private HttpStorage(URI base) {
        this.base = base;
    }

    /** {@code http(s)://HOST[:PORT]/cache}; a trailing slash is optional. */
    public static HttpStorage of(String uri) {
        return new HttpStorage(parse(uri));
    }

    /** The base URL {@link #of} would read, checked (no client is made): a {@link DeployerException} names the fault. */
    public static URI parse(String uri) {
        URI parsed;
        try {
            parsed = new URI(uri.endsWith("/") ? uri : uri + "/");
        } catch (java.net.URISyntaxException e) {
            throw new DeployerException("'" + uri + "' is not a URL: " + e.getReason());
        }
        if (!"http".equals(parsed.getScheme()) && !"https".equals(parsed.getScheme())) {
            throw new DeployerException("'" + uri + "' is not an http(s):// URL");
        }
        if (parsed.getHost() == null) {
            throw new DeployerException("'" + uri + "' names no host");
        }
        if (parsed.getRawQuery() != null || parsed.getRawFragment() != null) {
            throw new DeployerException("'" + uri + "' has a query or fragment; a Ferry server's cache is read from "
                    + "http(s)://HOST[:PORT]/cache");
        }
        return parsed;
    }

    /** The server's base URL ({@code http://HOST:PORT}), for the long-poll endpoint. */
    public URI server() {
        return base.resolve("/");
    }

    @Override
    public String uri() {
        return base.toString();
    }

    @Override
    public Optional<Long> size(String key) {
        HttpResponse<Void> response = send(HttpRequest.newBuilder(base.resolve(key)).timeout(TIMEOUT)
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding(),
                key);
        if (response.statusCode() == 404) {
            return Optional.empty();
        }
        requireOk(response, key);
        return Optional.of(response.headers().firstValueAsLong("Content-Length").orElse(-1));
    }

    @Override
    public Optional<StoredObject> open(String key) {
        HttpResponse<InputStream> response = send(HttpRequest.newBuilder(base.resolve(key)).timeout(TIMEOUT).GET()
                .build(), HttpResponse.BodyHandlers.ofInputStream(), key);
        if (response.statusCode() == 404) {
            close(response.body());
            return Optional.empty();
        }
        if (response.statusCode() / 100 != 2) {
            close(response.body());
            requireOk(response, key);
        }
        long size = response.headers().firstValueAsLong("Content-Length").orElse(-1);
        return Optional.of(new StoredObject(size, response.body()));
    }

    @Override
    public long write(String key, long sizeHint, ContentWriter writer) {
        throw readOnly(key);
    }

    @Override
    public void put(String key, byte[] content) {
        throw readOnly(key);
    }

    @Override
    public boolean createIfAbsent(String key, byte[] content) {
        throw readOnly(key);
    }

    @Override
    public void delete(String key) {
        throw readOnly(key);
    }

    /** A server lists nothing over HTTP: readers go through {@code manifest.json}. */
    @Override
    public List<dev.ferry.cache.ObjectInfo> listInfo(String prefix) {
        return List.of();
    }

    private DeployerException readOnly(String key) {
        return new DeployerException(base + " is read-only here; cannot write " + key);
    }

    private <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler, String key) {
        try {
            return http.send(request, handler);
        } catch (IOException e) {
            throw new DeployerException("reading " + key + " from " + base + " failed: " + DeployerException.reason(e),
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DeployerException("interrupted while reading " + key + " from " + base, e);
        }
    }

    private void requireOk(HttpResponse<?> response, String key) {
        if (response.statusCode() / 100 != 2) {
            throw new DeployerException(base + " answered " + response.statusCode() + " for " + key);
        }
    }

    private static void close(InputStream in) {
        try {
            in.close();
        } catch (IOException e) {
            // nothing to lose on a read stream
        }
    }
}
