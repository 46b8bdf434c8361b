package dev.ferry.builder;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.ferry.builder.ProjectConfig.HttpConfig;
import dev.ferry.builder.ProjectConfig.ReadyConfig;
import dev.ferry.builder.ProjectConfig.ServiceConfig;
import dev.ferry.builder.ProjectConfig.SiteConfig;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/** Reads a project config from JSON, field by field, so that every error names its field. */
final class ProjectConfigReader {
    static final int MAX_NAME = 63;
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]*");
    private static final Pattern ATTRIBUTE = Pattern.compile("[A-Za-z_][A-Za-z0-9_'-]*(\\.[A-Za-z0-9_][A-Za-z0-9_'-]*)*");
    private static final Pattern SEGMENT_PATH = Pattern.compile("[^/\\x00]+(/[^/\\x00]+)*");
    private static final Pattern ENV_NAME = Pattern.compile("[A-Z_][A-Z0-9_]*");
    private static final Pattern DNS_NAME = Pattern.compile(
            "(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*");
    private static final Set<String> TOP = Set.of("services", "sites");
    private static final Set<String> SERVICE = Set.of("package", "exec", "args", "http", "ready", "env", "envFile",
            "customDomain", "hosts", "primary");
    private static final Set<String> SITE = Set.of("package", "spa", "customDomain", "hosts", "primary");

    private ProjectConfigReader() {
    }

    static ProjectConfig parse(byte[] json) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonParseException e) {
            throw new ProjectConfigException("the project config is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new ProjectConfigException("the project config is not valid JSON: " + e.getMessage());
        }
        if (root == null || root.isMissingNode()) {
            throw new ProjectConfigException("the project config is empty");
        }
        object(root, "the project config", TOP);
        Map<String, ServiceConfig> services = new TreeMap<>();
        Map<String, SiteConfig> sites = new TreeMap<>();
        optional(root, "services").ifPresent(node -> {
            object(node, "services", Set.of());
            node.properties().forEach(e -> services.put(e.getKey(), service(e.getKey(), e.getValue())));
        });
        optional(root, "sites").ifPresent(node -> {
            object(node, "sites", Set.of());
            node.properties().forEach(e -> sites.put(e.getKey(), site(e.getKey(), e.getValue())));
        });
        for (String name : services.keySet()) {
            if (sites.containsKey(name)) {
                throw new ProjectConfigException("sites." + name + ": the name is taken by services." + name
                        + " (services and sites share one namespace)");
            }
        }
        List<String> primaries = new ArrayList<>();
        services.values().stream().filter(ServiceConfig::primary).forEach(s -> primaries.add("services." + s.name()));
        sites.values().stream().filter(SiteConfig::primary).forEach(s -> primaries.add("sites." + s.name()));
        if (primaries.size() > 1) {
            throw new ProjectConfigException(primaries.get(1) + ".primary: only one service or site may be primary ("
                    + String.join(", ", primaries) + " are)");
        }
        return new ProjectConfig(new TreeMap<>(services), new TreeMap<>(sites));
    }

    private static ServiceConfig service(String name, JsonNode node) {
        String field = "services." + name;
        checkName(name, field);
        object(node, field, SERVICE);
        String packageName = packageName(node, field);
        String exec = string(required(node, "exec", field), field + ".exec");
        if (exec.startsWith("/") || !SEGMENT_PATH.matcher(exec).matches()
                || List.of(exec.split("/")).stream().anyMatch(s -> s.equals(".") || s.equals(".."))) {
            throw new ProjectConfigException(field + ".exec: '" + exec + "' is not a path relative to the package's "
                    + "output (such as bin/web): no leading /, no empty, . or .. segments");
        }
        List<String> args = optional(node, "args").map(n -> strings(n, field + ".args")).orElse(List.of());
        Optional<HttpConfig> http = optional(node, "http").map(n -> http(n, field + ".http"));
        Optional<ReadyConfig> ready = optional(node, "ready").map(n -> ready(n, field + ".ready"));
        if (ready.isPresent() && http.isEmpty()) {
            throw new ProjectConfigException(field + ".ready: an HTTP readiness check needs http (the service must "
                    + "answer HTTP)");
        }
        Map<String, String> env = optional(node, "env").map(n -> env(n, field + ".env")).orElse(Map.of());
        if (env.containsKey("PORT")) {
            throw new ProjectConfigException(field + ".env.PORT: PORT is set by Ferry (a free port per start, or "
                    + "http.port)");
        }
        Optional<String> envFile = optional(node, "envFile").map(n -> {
            String path = string(n, field + ".envFile");
            if (!path.startsWith("/") || path.startsWith("/nix/store/") || !java.nio.file.Path.of(path).normalize()
                    .toString().equals(path) || path.indexOf('\0') >= 0) {
                throw new ProjectConfigException(field + ".envFile: '" + path + "' must be an absolute, normalised "
                        + "path on the host, outside /nix/store (it holds secrets; the store is world-readable)");
            }
            return path;
        });
        List<String> customDomains = customDomains(node, field);
        if (!customDomains.isEmpty() && http.isEmpty()) {
            throw new ProjectConfigException(field + ".customDomain: a custom domain needs http (the service must "
                    + "answer HTTP)");
        }
        List<String> hosts = optional(node, "hosts").map(n -> dnsNames(n, field + ".hosts")).orElse(List.of());
        boolean primary = optional(node, "primary").map(n -> bool(n, field + ".primary")).orElse(false);
        if (primary && http.isEmpty()) {
            throw new ProjectConfigException(field + ".primary: only a service with http can be primary");
        }
        return new ServiceConfig(name, packageName, exec, args, http, ready, env, envFile, customDomains, hosts,
                primary);
    }

    private static SiteConfig site(String name, JsonNode node) {
        String field = "sites." + name;
        checkName(name, field);
        object(node, field, SITE);
        String packageName = packageName(node, field);
        boolean spa = optional(node, "spa").map(n -> bool(n, field + ".spa")).orElse(false);
        List<String> customDomains = customDomains(node, field);
        List<String> hosts = optional(node, "hosts").map(n -> dnsNames(n, field + ".hosts")).orElse(List.of());
        boolean primary = optional(node, "primary").map(n -> bool(n, field + ".primary")).orElse(false);
        return new SiteConfig(name, packageName, spa, customDomains, hosts, primary);
    }

    private static HttpConfig http(JsonNode node, String field) {
        object(node, field, Set.of("path", "port"));
        String path = optional(node, "path").map(n -> urlPath(string(n, field + ".path"), field + ".path"))
                .orElse("/");
        OptionalInt port = optional(node, "port").map(n -> OptionalInt.of(integer(n, field + ".port", 1, 65535)))
                .orElse(OptionalInt.empty());
        return new HttpConfig(path, port);
    }

    private static ReadyConfig ready(JsonNode node, String field) {
        object(node, field, Set.of("http"));
        JsonNode http = required(node, "http", field);
        object(http, field + ".http", Set.of("path", "timeoutSeconds"));
        String path = optional(http, "path").map(n -> urlPath(string(n, field + ".http.path"), field + ".http.path"))
                .orElse("/");
        int timeout = optional(http, "timeoutSeconds").map(n -> integer(n, field + ".http.timeoutSeconds", 1, 3600))
                .orElse(30);
        return new ReadyConfig(path, timeout);
    }

    private static String packageName(JsonNode node, String field) {
        String value = string(required(node, "package", field), field + ".package");
        if (!ATTRIBUTE.matcher(value).matches()) {
            throw new ProjectConfigException(field + ".package: '" + value + "' is not a flake attribute path "
                    + "(such as web or packages.x86_64-linux.web); write the attribute's name, not the derivation");
        }
        return value;
    }

    private static List<String> customDomains(JsonNode node, String field) {
        return optional(node, "customDomain").map(n -> n.isTextual()
                ? List.of(dnsName(n.textValue(), field + ".customDomain"))
                : dnsNames(n, field + ".customDomain")).orElse(List.of());
    }

    private static void checkName(String name, String field) {
        if (!NAME.matcher(name).matches() || name.length() > MAX_NAME) {
            throw new ProjectConfigException(field + ": the name must match [a-z0-9][a-z0-9-]* and have at most "
                    + MAX_NAME + " characters");
        }
    }

    private static String urlPath(String path, String field) {
        if (!path.startsWith("/") || path.contains("?") || path.contains("#") || path.contains("//")
                || List.of(path.split("/")).stream().anyMatch(s -> s.equals(".") || s.equals(".."))
                || path.chars().anyMatch(c -> c <= 0x20 || c >= 0x7f)) {
            throw new ProjectConfigException(field + ": '" + path + "' is not an absolute URL path (such as /healthz)");
        }
        return path;
    }

    private static Map<String, String> env(JsonNode node, String field) {
        object(node, field, Set.of());
        Map<String, String> env = new LinkedHashMap<>();
        node.properties().forEach(e -> {
            if (!ENV_NAME.matcher(e.getKey()).matches()) {
                throw new ProjectConfigException(field + "." + e.getKey() + ": not a variable name ([A-Z_][A-Z0-9_]*)");
            }
            env.put(e.getKey(), string(e.getValue(), field + "." + e.getKey()));
        });
        return env;
    }

    private static List<String> dnsNames(JsonNode node, String field) {
        List<String> names = strings(node, field);
        Set<String> seen = new LinkedHashSet<>();
        for (int i = 0; i < names.size(); i++) {
            dnsName(names.get(i), field + "[" + i + "]");
            if (!seen.add(names.get(i))) {
                throw new ProjectConfigException(field + "[" + i + "]: '" + names.get(i) + "' is listed twice");
            }
        }
        return names;
    }

    private static String dnsName(String name, String field) {
        if (!DNS_NAME.matcher(name).matches()) {
            throw new ProjectConfigException(field + ": '" + name + "' is not a lower-case DNS name");
        }
        return name;
    }

    private static void object(JsonNode node, String field, Set<String> known) {
        if (!node.isObject()) {
            throw new ProjectConfigException(field + ": expected an object, found " + kind(node));
        }
        if (known.isEmpty()) {
            return;
        }
        for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!known.contains(name)) {
                throw new ProjectConfigException(prefix(field) + name + ": unknown field (known: "
                        + String.join(", ", known.stream().sorted().toList()) + ")");
            }
        }
    }

    private static String prefix(String field) {
        return field.equals("the project config") ? "" : field + ".";
    }

    private static Optional<JsonNode> optional(JsonNode node, String name) {
        JsonNode value = node.get(name);
        if (value == null) {
            return Optional.empty();
        }
        return Optional.of(value);
    }

    private static JsonNode required(JsonNode node, String name, String field) {
        return optional(node, name).orElseThrow(() -> new ProjectConfigException(field + "." + name + ": missing"));
    }

    private static String string(JsonNode node, String field) {
        if (!node.isTextual()) {
            throw new ProjectConfigException(field + ": expected a string, found " + kind(node));
        }
        String value = node.textValue();
        if (value.isEmpty()) {
            throw new ProjectConfigException(field + ": is empty");
        }
        if (value.indexOf('\0') >= 0) {
            throw new ProjectConfigException(field + ": contains a NUL character");
        }
        return value;
    }

    private static List<String> strings(JsonNode node, String field) {
        if (!node.isArray()) {
            throw new ProjectConfigException(field + ": expected a list of strings, found " + kind(node));
        }
        List<String> values = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
            values.add(string(node.get(i), field + "[" + i + "]"));
        }
        return values;
    }

    private static boolean bool(JsonNode node, String field) {
        if (!node.isBoolean()) {
            throw new ProjectConfigException(field + ": expected true or false, found " + kind(node));
        }
        return node.booleanValue();
    }

    private static int integer(JsonNode node, String field, int min, int max) {
        if (!node.isIntegralNumber() || !node.canConvertToInt() || node.intValue() < min || node.intValue() > max) {
            throw new ProjectConfigException(field + ": expected an integer from " + min + " to " + max + ", found "
                    + (node.isNumber() ? node.asText() : kind(node)));
        }
        return node.intValue();
    }

    private static String kind(JsonNode node) {
        return switch (node.getNodeType()) {
            case STRING -> "a string";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            case ARRAY -> "a list";
            case OBJECT -> "an object";
            case NULL -> "null";
            default -> node.getNodeType().toString().toLowerCase(java.util.Locale.ROOT);
        };
    }
}
