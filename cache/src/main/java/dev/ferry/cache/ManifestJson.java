package dev.ferry.cache;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ferry.cache.Manifest.Artifact;
import dev.ferry.cache.Manifest.Service;
import dev.ferry.cache.Manifest.Site;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Manifest JSON: strict reading (through {@link ManifestRules}, which names every broken rule by field) and the
 * canonical form that is signed. The canonical writer is Ferry's own, not Jackson's pretty printer, so that the bytes
 * of a manifest cannot change with a library upgrade: fields in schema order, map keys sorted, 2-space indent,
 * {@code ": "} after names, empty containers as {@code []} and {@code {}}, every non-ASCII or control character
 * escaped as {@code \}{@code uXXXX}, a trailing newline.
 */
final class ManifestJson {
    /** Larger documents are refused before parsing. */
    static final int MAX_BYTES = 4 << 20;

    private static final JsonMapper MAPPER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private ManifestJson() {
    }

    static Manifest parse(byte[] json) {
        ManifestRules rules = new ManifestRules();
        Manifest manifest = rules.manifest(readTree(json, "manifest"));
        rules.throwIfAny("manifest");
        return manifest;
    }

    static Service parseService(byte[] json, String source) {
        ManifestRules rules = new ManifestRules();
        Service service = rules.standaloneService(readTree(json, "service in " + source));
        rules.throwIfAny("service in " + source);
        return service;
    }

    /** The {@code generation} a manifest claims, read without any other check (for the latest-copy hint). */
    static Optional<Long> generationOf(byte[] json) {
        try {
            JsonNode generation = MAPPER.readTree(decode(json)).get("generation");
            return generation != null && generation.canConvertToLong() && generation.isIntegralNumber()
                    ? Optional.of(generation.longValue()) : Optional.empty();
        } catch (JsonProcessingException | CharacterCodingException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** Decodes strict UTF-8: a malformed byte is an error, never a replacement character. */
    static String decode(byte[] bytes) throws CharacterCodingException {
        return StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(bytes)).toString();
    }

    private static JsonNode readTree(byte[] json, String what) {
        if (json.length > MAX_BYTES) {
            throw new ManifestInvalidException(what, List.of("(document): larger than " + MAX_BYTES + " bytes"));
        }
        try {
            JsonNode node = MAPPER.readTree(decode(json));
            if (node == null || node.isMissingNode()) {
                throw new ManifestInvalidException(what, List.of("(document): empty"));
            }
            return node;
        } catch (CharacterCodingException e) {
            throw new ManifestInvalidException(what, List.of("(document): not valid UTF-8"));
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? ""
                    : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
            throw new ManifestInvalidException(what, List.of("(document): not valid JSON" + where + ": "
                    + e.getOriginalMessage()));
        }
    }

    // ---- canonical form ----

    static byte[] render(Manifest manifest) {
        return write(tree(manifest)).getBytes(StandardCharsets.US_ASCII);
    }

    static byte[] render(Service service) {
        return write(tree(service)).getBytes(StandardCharsets.US_ASCII);
    }

    static ObjectNode tree(Manifest manifest) {
        ObjectNode o = NODES.objectNode();
        o.put("version", manifest.version());
        o.put("generation", manifest.generation());
        o.put("createdAt", formatInstant(manifest.createdAt()));
        o.put("reason", manifest.reason());
        ArrayNode services = o.putArray("services");
        manifest.services().forEach(s -> services.add(tree(s)));
        ArrayNode sites = o.putArray("sites");
        manifest.sites().forEach(s -> sites.add(tree(s)));
        return o;
    }

    static ObjectNode tree(Service s) {
        ObjectNode o = NODES.objectNode();
        o.put("name", s.name());
        o.set("artifact", tree(s.artifact()));
        o.set("hosts", strings(s.hosts()));
        ObjectNode exec = o.putObject("exec");
        exec.put("command", s.exec().command());
        exec.set("args", strings(s.exec().args()));
        s.exec().user().ifPresent(user -> exec.put("user", user));
        s.exec().group().ifPresent(group -> exec.put("group", group));
        ObjectNode env = o.putObject("env");
        s.env().forEach(env::put);
        s.envFile().ifPresent(file -> o.put("envFile", file));
        if (!s.credentials().isEmpty()) {
            // only when there are some, so generations signed before the field existed re-render byte-identically
            ObjectNode credentials = o.putObject("credentials");
            s.credentials().forEach(credentials::put);
        }
        s.http().ifPresent(http -> {
            ObjectNode h = o.putObject("http");
            h.put("domain", http.domain());
            if (!http.aliases().isEmpty()) {
                h.set("aliases", strings(http.aliases()));
            }
            h.put("path", http.path());
            http.internalPort().ifPresent(port -> h.put("internalPort", port));
        });
        s.ready().ifPresent(ready -> {
            ObjectNode check = o.putObject("ready").putObject("http");
            check.put("path", ready.http().path());
            check.put("timeoutSeconds", ready.http().timeoutSeconds());
        });
        ObjectNode systemd = o.putObject("systemd");
        systemd.set("after", strings(s.systemd().after()));
        systemd.set("requires", strings(s.systemd().requires()));
        systemd.put("restart", s.systemd().restart());
        systemd.put("restartSec", s.systemd().restartSec());
        ObjectNode hardening = o.putObject("hardening");
        hardening.put("dynamicUser", s.hardening().dynamicUser());
        hardening.put("privateTmp", s.hardening().privateTmp());
        hardening.put("protectSystem", s.hardening().protectSystem());
        hardening.put("protectHome", s.hardening().protectHome());
        s.revision().ifPresent(revision -> o.put("revision", revision));
        return o;
    }

    static ObjectNode tree(Site s) {
        ObjectNode o = NODES.objectNode();
        o.put("name", s.name());
        o.set("artifact", tree(s.artifact()));
        o.set("hosts", strings(s.hosts()));
        ObjectNode http = o.putObject("http");
        http.put("domain", s.http().domain());
        if (!s.http().aliases().isEmpty()) {
            http.set("aliases", strings(s.http().aliases()));
        }
        http.put("path", s.http().path());
        o.put("spa", s.spa());
        return o;
    }

    private static ObjectNode tree(Artifact artifact) {
        ObjectNode o = NODES.objectNode();
        o.put("type", artifact.type());
        o.put("storePath", artifact.storePath().absolute());
        return o;
    }

    private static ArrayNode strings(List<String> values) {
        ArrayNode array = NODES.arrayNode();
        values.forEach(array::add);
        return array;
    }

    static String formatInstant(Instant instant) {
        return DateTimeFormatter.ISO_INSTANT.format(instant);
    }

    /** The canonical text of a tree whose objects are already in the wanted field order. */
    static String write(JsonNode node) {
        StringBuilder out = new StringBuilder();
        write(out, node, 0);
        return out.append('\n').toString();
    }

    private static void write(StringBuilder out, JsonNode node, int depth) {
        switch (node.getNodeType()) {
            case OBJECT -> {
                if (node.isEmpty()) {
                    out.append("{}");
                    return;
                }
                out.append("{\n");
                int i = 0;
                for (Map.Entry<String, JsonNode> field : node.properties()) {
                    indent(out, depth + 1);
                    quote(out, field.getKey());
                    out.append(": ");
                    write(out, field.getValue(), depth + 1);
                    out.append(++i < node.size() ? ",\n" : "\n");
                }
                indent(out, depth);
                out.append('}');
            }
            case ARRAY -> {
                if (node.isEmpty()) {
                    out.append("[]");
                    return;
                }
                out.append("[\n");
                for (int i = 0; i < node.size(); i++) {
                    indent(out, depth + 1);
                    write(out, node.get(i), depth + 1);
                    out.append(i + 1 < node.size() ? ",\n" : "\n");
                }
                indent(out, depth);
                out.append(']');
            }
            case STRING -> quote(out, node.textValue());
            case BOOLEAN -> out.append(node.booleanValue());
            case NUMBER -> {
                if (!node.isIntegralNumber() || !node.canConvertToLong()) {
                    throw new IllegalStateException("manifests hold only integers that fit a long: " + node);
                }
                out.append(node.longValue());
            }
            default -> throw new IllegalStateException("no canonical form for " + node.getNodeType());
        }
    }

    private static void indent(StringBuilder out, int depth) {
        out.repeat("  ", depth);
    }

    private static void quote(StringBuilder out, String text) {
        out.append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20 || c >= 0x7f) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
