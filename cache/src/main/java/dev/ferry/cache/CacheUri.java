package dev.ferry.cache;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A cache location in the style Nix uses: {@code file:///abs/dir} or
 * {@code s3://bucket?endpoint=http://127.0.0.1:9000&region=us-east-1}. S3 credentials come from the AWS SDK's
 * default chain (environment, profile, instance role), or from {@code profile=NAME}; they are never part of the URI.
 */
public record CacheUri(String scheme, String location, Map<String, String> parameters) {

    public CacheUri {
        // Keeps the order the URI gave (Map.copyOf would not), so that toString() is stable.
        parameters = Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
    }

    public static CacheUri parse(String text) {
        URI uri;
        try {
            uri = new URI(text);
        } catch (URISyntaxException e) {
            throw new CacheException("cache URI '" + text + "' is malformed: " + e.getReason());
        }
        Map<String, String> parameters = new LinkedHashMap<>();
        if (uri.getRawQuery() != null) {
            for (String pair : uri.getRawQuery().split("&")) {
                if (pair.isEmpty()) {
                    continue;
                }
                int eq = pair.indexOf('=');
                String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                parameters.put(name, value);
            }
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme();
        switch (scheme) {
            case "file" -> {
                String path = uri.getPath();
                if (path == null || !path.startsWith("/") || (uri.getAuthority() != null && !uri.getAuthority().isEmpty())) {
                    throw new CacheException("cache URI '" + text + "' must be file:///absolute/path");
                }
                return new CacheUri(scheme, Path.of(path).normalize().toString(), parameters);
            }
            case "s3" -> {
                String bucket = uri.getHost() == null ? uri.getAuthority() : uri.getHost();
                if (bucket == null || bucket.length() < 3 || (uri.getPath() != null && !uri.getPath().isEmpty()
                        && !uri.getPath().equals("/"))) {
                    throw new CacheException("cache URI '" + text + "' must be s3://BUCKET?endpoint=...&region=... "
                            + "(bucket names have at least 3 characters)");
                }
                for (String name : parameters.keySet()) {
                    if (!java.util.Set.of("endpoint", "region", "profile", "scheme").contains(name)) {
                        throw new CacheException("cache URI parameter '" + name + "' is not known for s3:// "
                                + "(known: endpoint, region, profile, scheme)");
                    }
                }
                return new CacheUri(scheme, bucket, parameters);
            }
            default -> throw new CacheException("cache URI '" + text + "' has an unsupported scheme '" + scheme
                    + "' (expected file:// or s3://)");
        }
    }

    /** Opens the storage this URI names. */
    public Storage open() {
        return switch (scheme) {
            case "file" -> new LocalStorage(Path.of(location));
            case "s3" -> S3Storage.create(this);
            default -> throw new IllegalStateException(scheme);
        };
    }

    @Override
    public String toString() {
        if (parameters.isEmpty()) {
            return scheme.equals("file") ? "file://" + location : scheme + "://" + location;
        }
        StringBuilder sb = new StringBuilder(scheme.equals("file") ? "file://" + location : scheme + "://" + location);
        char sep = '?';
        for (Map.Entry<String, String> e : parameters.entrySet()) {
            sb.append(sep).append(e.getKey()).append('=').append(e.getValue());
            sep = '&';
        }
        return sb.toString();
    }
}
