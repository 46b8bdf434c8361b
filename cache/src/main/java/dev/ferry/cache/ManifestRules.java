package dev.ferry.cache;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ferry.cache.Manifest.Artifact;
import dev.ferry.cache.Manifest.Exec;
import dev.ferry.cache.Manifest.Hardening;
import dev.ferry.cache.Manifest.Http;
import dev.ferry.cache.Manifest.HttpCheck;
import dev.ferry.cache.Manifest.Ready;
import dev.ferry.cache.Manifest.Service;
import dev.ferry.cache.Manifest.Site;
import dev.ferry.cache.Manifest.SiteHttp;
import dev.ferry.cache.Manifest.Systemd;
import dev.ferry.nix.NixFormatException;
import dev.ferry.nix.StorePath;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Reads a manifest tree into records while checking every rule of schema v1, collecting each broken rule as
 * {@code field: reason} (fields named as {@code services[2].artifact.storePath}, indices in document order). After
 * a problem the reader goes on with a placeholder, so one pass reports everything; the records it returns are only
 * meaningful when {@link #throwIfAny} does not throw. The same rules are written down in
 * {@code docs/manifest.schema.json}, except the ones across fields (unique names, routes and ports).
 */
final class ManifestRules {
    static final List<String> TOP_FIELDS = List.of("version", "generation", "createdAt", "reason", "services", "sites");
    /** Linux's limit on one environment string, {@code NAME=value} and its NUL ({@code MAX_ARG_STRLEN}: 32 pages). */
    static final int MAX_ENV_ENTRY = 128 * 1024;
    static final List<String> SERVICE_FIELDS = List.of("name", "artifact", "hosts", "exec", "env", "envFile",
            "credentials", "http", "ready", "systemd", "hardening", "revision");
    static final List<String> SITE_FIELDS = List.of("name", "artifact", "hosts", "http", "spa");

    static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");
    static final Pattern ENV_KEY = Pattern.compile("[A-Z_][A-Z0-9_]*");
    /** What systemd accepts as a credential name (it must also be a valid file name: not . or ..). */
    static final Pattern CREDENTIAL = Pattern.compile("(?!\\.{1,2}$)[A-Za-z0-9_.-]{1,255}");
    static final Pattern DOMAIN = Pattern.compile(
            "(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*");
    static final Pattern ACCOUNT = Pattern.compile("[a-z_][a-z0-9_-]{0,31}");
    static final Pattern UNIT = Pattern.compile("(?=.{1,255}$)[A-Za-z0-9:_.@\\\\-]+"
            + "\\.(service|socket|target|mount|automount|path|timer|slice|scope|device|swap)");
    static final Pattern URL_PATH = Pattern.compile("/([A-Za-z0-9._~!$&'()*+,;=:@%-]+/?)*");
    static final Pattern REVISION = Pattern.compile("[\\x21-\\x7e]{1,200}");
    static final Pattern TIMESTAMP = Pattern.compile("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?Z");
    static final List<String> RESTART = List.of("no", "always", "on-success", "on-failure", "on-abnormal", "on-abort",
            "on-watchdog");
    static final List<String> PROTECT_SYSTEM = List.of("strict", "full", "yes", "no");
    static final int MAX_REASON = 1000;
    static final int MAX_PATH = 4096;

    private static final StorePath PLACEHOLDER_PATH = new StorePath("0".repeat(StorePath.HASH_LENGTH), "invalid");

    private final List<String> problems = new ArrayList<>();

    void throwIfAny(String what) {
        if (!problems.isEmpty()) {
            throw new ManifestInvalidException(what, problems);
        }
    }

    private void problem(String field, String reason) {
        problems.add((field.isEmpty() ? "(document)" : field) + ": " + reason);
    }

    // ---- documents ----

    Manifest manifest(JsonNode root) {
        Obj o = new Obj(root, "", TOP_FIELDS);
        o.get("version").ifPresentOrElse(v -> {
            if (!v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() != Manifest.VERSION) {
                problem("version", "must be " + Manifest.VERSION + " (this Ferry reads manifest version "
                        + Manifest.VERSION + ", not " + v + ")");
            }
        }, () -> o.required("version"));
        long generation = o.integer("generation", 1, Long.MAX_VALUE).orElseGet(() -> {
            o.required("generation");
            return 1L;
        });
        Instant createdAt = o.string("createdAt", ManifestRules::checkTimestamp)
                .map(Instant::parse).orElseGet(() -> {
                    o.required("createdAt");
                    return Instant.EPOCH;
                });
        String reason = o.string("reason", ManifestRules::checkReason).orElseGet(() -> {
            o.required("reason");
            return "";
        });
        List<Service> services = new ArrayList<>();
        List<JsonNode> serviceNodes = o.array("services");
        for (int i = 0; i < serviceNodes.size(); i++) {
            services.add(service(serviceNodes.get(i), "services[" + i + "]"));
        }
        List<Site> sites = new ArrayList<>();
        List<JsonNode> siteNodes = o.array("sites");
        for (int i = 0; i < siteNodes.size(); i++) {
            sites.add(site(siteNodes.get(i), "sites[" + i + "]"));
        }
        if (problems.isEmpty()) {
            across(services, sites);
        }
        return new Manifest(Manifest.VERSION, generation, createdAt, reason, services, sites);
    }

    Service standaloneService(JsonNode root) {
        return service(root, "");
    }

    // ---- services and sites ----

    private Service service(JsonNode node, String path) {
        Obj o = new Obj(node, path, SERVICE_FIELDS);
        String name = o.requiredString("name", ManifestRules::checkName);
        Artifact artifact = o.object("artifact", List.of("type", "storePath")).map(this::artifact).orElseGet(() -> {
            o.required("artifact");
            return Artifact.nixClosure(PLACEHOLDER_PATH);
        });
        List<String> hosts = o.strings("hosts", ManifestRules::checkDomain, true);
        Exec exec = o.object("exec", List.of("command", "args", "user", "group"))
                .map(e -> exec(e, artifact.storePath())).orElseGet(() -> {
                    o.required("exec");
                    return new Exec("invalid", List.of(), Optional.empty(), Optional.empty());
                });
        Map<String, String> env = o.env("env");
        Optional<String> envFile = o.string("envFile", ManifestRules::checkEnvFile);
        Map<String, String> credentials = o.credentials("credentials");
        Optional<Http> http = o.object("http", List.of("domain", "aliases", "path", "internalPort")).map(h -> new Http(
                h.requiredString("domain", ManifestRules::checkDomain),
                h.strings("aliases", ManifestRules::checkDomain, true),
                h.string("path", ManifestRules::checkUrlPath).orElse("/"),
                h.integer("internalPort", 1, 65535).map(port -> OptionalInt.of(port.intValue()))
                        .orElse(OptionalInt.empty())));
        Optional<Ready> ready = o.object("ready", List.of("http")).map(r -> {
            HttpCheck check = r.object("http", List.of("path", "timeoutSeconds")).map(c -> new HttpCheck(
                    c.string("path", ManifestRules::checkUrlPath).orElse(HttpCheck.DEFAULT_PATH),
                    c.integer("timeoutSeconds", 1, 3600).orElse((long) HttpCheck.DEFAULT_TIMEOUT_SECONDS).intValue()))
                    .orElseGet(() -> {
                        r.required("http");
                        return new HttpCheck("/", 1);
                    });
            if (!o.has("http")) {
                problem(r.at("http"), "probes http.internalPort, but the service has no http section");
            }
            return new Ready(check);
        });
        Systemd systemd = o.object("systemd", List.of("after", "requires", "restart", "restartSec")).map(s -> new Systemd(
                s.strings("after", ManifestRules::checkUnit, true),
                s.strings("requires", ManifestRules::checkUnit, true),
                s.string("restart", v -> oneOf(v, RESTART)).orElse(Systemd.DEFAULT.restart()),
                s.integer("restartSec", 0, 3600).orElse((long) Systemd.DEFAULT.restartSec()).intValue()))
                .orElse(Systemd.DEFAULT);
        Hardening defaults = Hardening.DEFAULT;
        Hardening hardening = o.object("hardening", List.of("dynamicUser", "privateTmp", "protectSystem", "protectHome"))
                .map(h -> new Hardening(
                        h.bool("dynamicUser").orElse(defaults.dynamicUser()),
                        h.bool("privateTmp").orElse(defaults.privateTmp()),
                        h.string("protectSystem", v -> oneOf(v, PROTECT_SYSTEM)).orElse(defaults.protectSystem()),
                        h.bool("protectHome").orElse(defaults.protectHome())))
                .orElse(defaults);
        if (o.has("exec") && !hardening.dynamicUser() && exec.user().isEmpty()) {
            problem(o.at("exec.user"), "required when hardening.dynamicUser is false (otherwise the service would "
                    + "run as root; name root explicitly if that is really meant)");
        }
        Optional<String> revision = o.string("revision", v -> REVISION.matcher(v).matches() ? Optional.empty()
                : Optional.of("must be 1 to 200 printable ASCII characters without spaces"));
        return new Service(name, artifact, hosts, exec, env, envFile, credentials, http, ready, systemd, hardening,
                revision);
    }

    private Site site(JsonNode node, String path) {
        Obj o = new Obj(node, path, SITE_FIELDS);
        String name = o.requiredString("name", ManifestRules::checkName);
        Artifact artifact = o.object("artifact", List.of("type", "storePath")).map(this::artifact).orElseGet(() -> {
            o.required("artifact");
            return Artifact.nixClosure(PLACEHOLDER_PATH);
        });
        List<String> hosts = o.strings("hosts", ManifestRules::checkDomain, true);
        SiteHttp http = o.object("http", List.of("domain", "aliases", "path")).map(h -> new SiteHttp(
                h.requiredString("domain", ManifestRules::checkDomain),
                h.strings("aliases", ManifestRules::checkDomain, true),
                h.string("path", ManifestRules::checkUrlPath).orElse("/"))).orElseGet(() -> {
                    o.required("http");
                    return new SiteHttp("invalid", List.of(), "/");
                });
        boolean spa = o.bool("spa").orElse(false);
        return new Site(name, artifact, hosts, http, spa);
    }

    private Artifact artifact(Obj o) {
        String type = o.string("type", v -> v.equals(Manifest.NIX_CLOSURE) ? Optional.empty()
                : Optional.of("must be \"" + Manifest.NIX_CLOSURE + "\" (the only artifact type of version 1)"))
                .orElse(Manifest.NIX_CLOSURE);
        StorePath storePath = o.string("storePath", v -> {
            try {
                StorePath.parse(v);
                return Optional.empty();
            } catch (NixFormatException e) {
                return Optional.of("not a store path: " + e.getMessage());
            }
        }).map(StorePath::parse).orElseGet(() -> {
            o.required("storePath");
            return PLACEHOLDER_PATH;
        });
        return new Artifact(type, storePath);
    }

    private Exec exec(Obj o, StorePath storePath) {
        String command = o.requiredString("command", v -> checkCommand(v, storePath));
        List<String> args = o.strings("args", ManifestRules::checkNoNul, false);
        Optional<String> user = o.string("user", ManifestRules::checkAccount);
        Optional<String> group = o.string("group", ManifestRules::checkAccount);
        return new Exec(command, args, user, group);
    }

    /** Rules across services and sites; indices are those of the document. */
    private void across(List<Service> services, List<Site> sites) {
        Map<String, String> names = new HashMap<>();
        // On a host, a service is deployed under its name and a site under Site.deployedName(): they must not meet.
        Map<String, String> deployed = new HashMap<>();
        Map<String, String> routes = new HashMap<>();
        for (int i = 0; i < services.size(); i++) {
            Service s = services.get(i);
            String at = "services[" + i + "]";
            claim(names, s.name(), at, at + ".name", "the name '" + s.name() + "' is already used by ");
            deployed.putIfAbsent(s.name(), at);
            if (s.http().isEmpty()) {
                continue;
            }
            Http http = s.http().get();
            for (String domain : http.domains()) {
                claim(routes, domain + http.path(), at + " (" + s.name() + ")", at + ".http",
                        "the route " + domain + http.path() + " of service " + s.name() + " is already served by ");
            }
            if (http.internalPort().isEmpty()) {
                continue;
            }
            int port = http.internalPort().getAsInt();
            for (int j = 0; j < i; j++) {
                Service other = services.get(j);
                if (other.http().isPresent() && other.http().get().internalPort().equals(http.internalPort())
                        && shareAHost(s.hosts(), other.hosts())) {
                    problem(at + ".http.internalPort", "port " + port + " is already used by services["
                            + j + "] (" + other.name() + ") on a host both run on");
                }
            }
        }
        for (int i = 0; i < sites.size(); i++) {
            Site s = sites.get(i);
            String at = "sites[" + i + "]";
            claim(names, s.name(), at, at + ".name", "the name '" + s.name() + "' is already used by ");
            String owner = deployed.putIfAbsent(s.deployedName(), at);
            if (owner != null) {
                problem(at + ".name", "the site '" + s.name() + "' is deployed as '" + s.deployedName()
                        + "', the name of " + owner);
            }
            for (String domain : s.http().domains()) {
                claim(routes, domain + s.http().path(), at + " (" + s.name() + ")", at + ".http",
                        "the route " + domain + s.http().path() + " of site " + s.name() + " is already served by ");
            }
        }
    }

    private void claim(Map<String, String> claimed, String key, String owner, String field, String reason) {
        String previous = claimed.putIfAbsent(key, owner);
        if (previous != null) {
            problem(field, reason + previous);
        }
    }

    /** An empty host list means every host. */
    private static boolean shareAHost(List<String> a, List<String> b) {
        return a.isEmpty() || b.isEmpty() || a.stream().anyMatch(b::contains);
    }

    // ---- value checks: each returns the reason the value is wrong ----

    static Optional<String> checkName(String v) {
        return NAME.matcher(v).matches() ? Optional.empty()
                : Optional.of("'" + printable(v) + "' must match [a-z0-9][a-z0-9-]* (at most 63 characters)");
    }

    static Optional<String> checkDomain(String v) {
        return DOMAIN.matcher(v).matches() ? Optional.empty()
                : Optional.of("'" + printable(v) + "' is not a lower-case DNS name");
    }

    static Optional<String> checkAccount(String v) {
        return ACCOUNT.matcher(v).matches() ? Optional.empty()
                : Optional.of("'" + printable(v) + "' must match [a-z_][a-z0-9_-]* (at most 32 characters)");
    }

    static Optional<String> checkUnit(String v) {
        return UNIT.matcher(v).matches() ? Optional.empty()
                : Optional.of("'" + printable(v) + "' is not a systemd unit name such as network-online.target");
    }

    static Optional<String> checkUrlPath(String v) {
        if (v.length() > 1024 || !URL_PATH.matcher(v).matches()) {
            return Optional.of("'" + printable(v) + "' must be an absolute URL path such as / or /api/ "
                    + "(no query, no spaces)");
        }
        for (String segment : v.substring(1).split("/", -1)) {
            if (segment.equals(".") || segment.equals("..")) {
                return Optional.of("'" + printable(v) + "' has a . or .. segment");
            }
        }
        return Optional.empty();
    }

    static Optional<String> checkTimestamp(String v) {
        if (TIMESTAMP.matcher(v).matches()) {
            try {
                Instant.parse(v);
                return Optional.empty();
            } catch (DateTimeParseException e) {
                // falls through
            }
        }
        return Optional.of("'" + printable(v) + "' is not an RFC 3339 UTC time such as 2026-01-15T12:34:56Z");
    }

    static Optional<String> checkReason(String v) {
        if (v.length() > MAX_REASON) {
            return Optional.of("longer than " + MAX_REASON + " characters");
        }
        return v.chars().anyMatch(Character::isISOControl) ? Optional.of("contains a control character")
                : Optional.empty();
    }

    static Optional<String> checkNoNul(String v) {
        return v.indexOf('\0') >= 0 ? Optional.of("contains a NUL character") : Optional.empty();
    }

    /** A host path for secrets ({@code envFile}, a credential): absolute, normalised, outside the store. */
    static Optional<String> checkEnvFile(String v) {
        Optional<String> path = checkHostPath(v);
        if (path.isPresent()) {
            return path;
        }
        return v.startsWith(StorePath.STORE_DIR + "/") ? Optional.of("'" + printable(v) + "' is in the Nix store, "
                + "which every local user can read; keep secrets in a file outside it") : Optional.empty();
    }

    private static Optional<String> checkHostPath(String v) {
        if (!v.startsWith("/") || v.length() > MAX_PATH || v.chars().anyMatch(Character::isISOControl)) {
            return Optional.of("'" + printable(v) + "' must be an absolute path without control characters");
        }
        for (String segment : v.substring(1).split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                return Optional.of("'" + printable(v) + "' must be a normalised absolute path (no //, . or ..)");
            }
        }
        return Optional.empty();
    }

    /** A name in {@code bin/}, a relative path inside the store path, or an absolute path inside it. */
    static Optional<String> checkCommand(String v, StorePath storePath) {
        if (v.isEmpty() || v.length() > MAX_PATH || v.chars().anyMatch(Character::isISOControl)) {
            return Optional.of("must be 1 to " + MAX_PATH + " characters without control characters");
        }
        String relative = v;
        if (v.startsWith("/") && !storePath.equals(PLACEHOLDER_PATH)) {
            String root = storePath.absolute() + "/";
            if (!v.startsWith(root)) {
                return Optional.of("'" + printable(v) + "' is outside the artifact " + storePath
                        + " (give a name in its bin/, or a path inside it)");
            }
            relative = v.substring(root.length());
        } else if (v.startsWith("/")) {
            relative = v.substring(1);
        }
        for (String segment : relative.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                return Optional.of("'" + printable(v) + "' has an empty, . or .. segment");
            }
        }
        return Optional.empty();
    }

    private static Optional<String> oneOf(String v, List<String> allowed) {
        return allowed.contains(v) ? Optional.empty()
                : Optional.of("'" + printable(v) + "' is not one of " + String.join(", ", allowed));
    }

    static String printable(String s) {
        StringBuilder sb = new StringBuilder();
        s.codePoints().limit(120).forEach(c -> sb.append(c >= 0x20 && c < 0x7f ? Character.toString(c)
                : String.format("\\u%04x", c)));
        return s.codePointCount(0, s.length()) > 120 ? sb + "..." : sb.toString();
    }

    // ---- typed access to one JSON object, with its path ----

    /** One JSON object of the document; if the node is not an object, every getter returns nothing. */
    private final class Obj {
        private final JsonNode node;
        private final String path;

        Obj(JsonNode node, String path, List<String> fields) {
            this.path = path;
            if (node.isObject()) {
                this.node = node;
                for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
                    String name = names.next();
                    if (!fields.contains(name)) {
                        problem(at(name), "unknown field (known here: " + String.join(", ", fields) + ")");
                    }
                }
            } else {
                this.node = null;
                problem(path, "must be an object, not " + describe(node));
            }
        }

        boolean valid() {
            return node != null;
        }

        String at(String field) {
            return path.isEmpty() ? field : path + "." + field;
        }

        boolean has(String field) {
            return node != null && node.has(field);
        }

        void required(String field) {
            if (node != null && !node.has(field)) {
                problem(at(field), "required");
            }
        }

        /** The field's value; absent, or an error for JSON null (a field is either there or left out). */
        private Optional<JsonNode> get(String field) {
            if (node == null || !node.has(field)) {
                return Optional.empty();
            }
            JsonNode value = node.get(field);
            if (value.isNull()) {
                problem(at(field), "must not be null (leave the field out instead)");
                return Optional.empty();
            }
            return Optional.of(value);
        }

        Optional<String> string(String field, Function<String, Optional<String>> check) {
            return get(field).flatMap(value -> {
                if (!value.isTextual()) {
                    problem(at(field), "must be a string, not " + describe(value));
                    return Optional.empty();
                }
                Optional<String> wrong = check.apply(value.textValue());
                wrong.ifPresent(reason -> problem(at(field), reason));
                return wrong.isPresent() ? Optional.empty() : Optional.of(value.textValue());
            });
        }

        /** A required string; on any problem an empty placeholder. */
        String requiredString(String field, Function<String, Optional<String>> check) {
            return string(field, check).orElseGet(() -> {
                required(field);
                return "";
            });
        }

        Optional<Long> integer(String field, long min, long max) {
            return get(field).flatMap(value -> {
                if (!value.isIntegralNumber() || !value.canConvertToLong()
                        || value.longValue() < min || value.longValue() > max) {
                    problem(at(field), "must be an integer from " + min + " to " + max + ", not "
                            + (value.isNumber() ? value.asText() : describe(value)));
                    return Optional.empty();
                }
                return Optional.of(value.longValue());
            });
        }

        Optional<Boolean> bool(String field) {
            return get(field).flatMap(value -> {
                if (!value.isBoolean()) {
                    problem(at(field), "must be true or false, not " + describe(value));
                    return Optional.empty();
                }
                return Optional.of(value.booleanValue());
            });
        }

        Optional<Obj> object(String field, List<String> fields) {
            return get(field).map(value -> new Obj(value, at(field), fields)).filter(Obj::valid);
        }

        List<JsonNode> array(String field) {
            return get(field).map(value -> {
                if (!value.isArray()) {
                    problem(at(field), "must be an array, not " + describe(value));
                    return List.<JsonNode>of();
                }
                List<JsonNode> items = new ArrayList<>();
                value.forEach(items::add);
                return items;
            }).orElse(List.of());
        }

        /** An array of strings, each checked; {@code unique} refuses repeated values. */
        List<String> strings(String field, Function<String, Optional<String>> check, boolean unique) {
            List<JsonNode> items = array(field);
            List<String> values = new ArrayList<>();
            Set<String> seen = new HashSet<>();
            for (int i = 0; i < items.size(); i++) {
                String at = at(field) + "[" + i + "]";
                JsonNode item = items.get(i);
                if (!item.isTextual()) {
                    problem(at, "must be a string, not " + describe(item));
                    continue;
                }
                Optional<String> wrong = check.apply(item.textValue());
                if (wrong.isPresent()) {
                    problem(at, wrong.get());
                } else if (unique && !seen.add(item.textValue())) {
                    problem(at, "'" + printable(item.textValue()) + "' is listed twice");
                } else {
                    values.add(item.textValue());
                }
            }
            return values;
        }

        /** An object of environment variables: names [A-Z_][A-Z0-9_]*, string values. */
        Map<String, String> env(String field) {
            Map<String, String> env = new TreeMap<>();
            get(field).ifPresent(value -> {
                if (!value.isObject()) {
                    problem(at(field), "must be an object of NAME: value strings, not " + describe(value));
                    return;
                }
                Map<String, JsonNode> entries = new LinkedHashMap<>();
                value.properties().forEach(e -> entries.put(e.getKey(), e.getValue()));
                entries.forEach((key, v) -> {
                    String at = at(field) + "." + key;
                    if (!ENV_KEY.matcher(key).matches()) {
                        problem(at(field), "variable name '" + printable(key) + "' must match [A-Z_][A-Z0-9_]*");
                    } else if (!v.isTextual()) {
                        problem(at, "must be a string, not " + describe(v) + " (write numbers as \"8000\")");
                    } else if ((key + "=" + v.textValue()).getBytes(StandardCharsets.UTF_8).length + 1
                            > MAX_ENV_ENTRY) {
                        problem(at, key + "=value is " + ((key + "=" + v.textValue()).getBytes(StandardCharsets.UTF_8)
                                .length + 1) + " bytes with its NUL: Linux runs no program with a variable of more "
                                + "than " + MAX_ENV_ENTRY + " bytes; put large values in a file the service reads");
                    } else {
                        checkNoNul(v.textValue()).ifPresentOrElse(reason -> problem(at, reason),
                                () -> env.put(key, v.textValue()));
                    }
                });
            });
            return env;
        }

        /** An object of systemd credentials: names [A-Za-z0-9_.-]+, values host paths outside the store. */
        Map<String, String> credentials(String field) {
            Map<String, String> credentials = new TreeMap<>();
            get(field).ifPresent(value -> {
                if (!value.isObject()) {
                    problem(at(field), "must be an object of name: \"/host/path\" strings, not " + describe(value));
                    return;
                }
                Map<String, JsonNode> entries = new LinkedHashMap<>();
                value.properties().forEach(e -> entries.put(e.getKey(), e.getValue()));
                entries.forEach((key, v) -> {
                    String at = at(field) + "." + printable(key);
                    if (!CREDENTIAL.matcher(key).matches()) {
                        problem(at(field), "credential name '" + printable(key)
                                + "' must be 1 to 255 of [A-Za-z0-9_.-], and not . or ..");
                    } else if (!v.isTextual()) {
                        problem(at, "must be a string (a path on the host), not " + describe(v));
                    } else {
                        checkEnvFile(v.textValue()).ifPresentOrElse(reason -> problem(at, reason),
                                () -> credentials.put(key, v.textValue()));
                    }
                });
            });
            return credentials;
        }
    }

    private static String describe(JsonNode node) {
        return switch (node.getNodeType()) {
            case STRING -> "a string";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            case ARRAY -> "an array";
            case OBJECT -> "an object";
            case NULL -> "null";
            default -> node.getNodeType().toString().toLowerCase(java.util.Locale.ROOT);
        };
    }
}
