package dev.ferry.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * docs/manifest.md and docs/manifest.schema.json say what the validator does: the documented examples pass both, and
 * broken variants of them fail both. The schema is checked by a small evaluator of the keywords it uses (no JSON
 * Schema library is a dependency); an unknown keyword fails the test, so the evaluator cannot silently skip one.
 */
class ManifestDocsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path DOCS = Path.of("..", "docs");

    private static JsonNode schema;
    private static String markdown;

    @BeforeAll
    static void load() throws IOException {
        schema = JSON.readTree(Files.readString(DOCS.resolve("manifest.schema.json")));
        markdown = Files.readString(DOCS.resolve("manifest.md"));
    }

    /** The fenced json block after {@code <!-- example: NAME -->}. */
    private static String example(String name) {
        Matcher m = Pattern.compile("<!-- example: " + name + " -->\\n```json\\n(.*?)```", Pattern.DOTALL)
                .matcher(markdown);
        assertThat(m.find()).as("docs/manifest.md has an example '%s'", name).isTrue();
        return m.group(1);
    }

    @Test
    void theDocumentedSchemaIsDraft2020_12() {
        assertThat(schema.get("$schema").textValue()).isEqualTo("https://json-schema.org/draft/2020-12/schema");
    }

    @Test
    void theExampleManifestPassesTheValidatorAndTheSchemaAndIsCanonical() {
        String example = example("manifest");
        Manifest manifest = Manifest.parse(example.getBytes(StandardCharsets.UTF_8));
        assertThat(manifest.services()).hasSize(2);
        assertThat(manifest.sites()).hasSize(1);
        assertThat(new String(manifest.toJson(), StandardCharsets.US_ASCII)).isEqualTo(example);
        assertThat(schemaErrors(tree(example))).isEmpty();
    }

    @Test
    void theExampleServicePassesTheValidatorAndTheSchema() {
        String example = example("service");
        Manifest.Service service = Manifest.Service.parse(example.getBytes(StandardCharsets.UTF_8), "docs");
        assertThat(service.name()).isEqualTo("podcastitlater-web");
        assertThat(check(schema.at("/$defs/service"), tree(example), "")).isEmpty();
        // Its canonical form reads back as the same service.
        assertThat(Manifest.Service.parse(service.toJson(), "canonical")).isEqualTo(service);
    }

    @Test
    void theTestFixtureManifestPassesTheSchemaToo() {
        assertThat(schemaErrors(tree(ManifestFixtures.EXAMPLE))).isEmpty();
        assertThat(schemaErrors(tree(new String(ManifestFixtures.parse(ManifestFixtures.EXAMPLE).toJson(),
                StandardCharsets.US_ASCII)))).isEmpty();
    }

    /** Variants of the documented example that break one rule each: both the validator and the schema refuse them. */
    @Test
    void brokenVariantsFailTheValidatorAndTheSchema() {
        Map<String, Consumer<ObjectNode>> breakages = new java.util.LinkedHashMap<>();
        breakages.put("store path outside the store", m -> service(m, 0).withObjectProperty("artifact").put("storePath", "/usr/bin/x"));
        breakages.put("store path with e in the hash", m -> service(m, 0).withObjectProperty("artifact").put("storePath",
                "/nix/store/eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee-x"));
        breakages.put("store path named ..", m -> service(m, 0).withObjectProperty("artifact").put("storePath",
                "/nix/store/00000000000000000000000000000000-.."));
        breakages.put("artifact type", m -> service(m, 0).withObjectProperty("artifact").put("type", "docker"));
        breakages.put("upper-case name", m -> service(m, 0).put("name", "Web"));
        breakages.put("64-character name", m -> service(m, 0).put("name", "a".repeat(64)));
        breakages.put("port 0", m -> service(m, 0).withObjectProperty("http").put("internalPort", 0));
        breakages.put("port 65536", m -> service(m, 0).withObjectProperty("http").put("internalPort", 65536));
        breakages.put("port as string", m -> service(m, 0).withObjectProperty("http").put("internalPort", "8000"));
        breakages.put("unknown top-level field", m -> m.put("extra", 1));
        breakages.put("unknown exec field", m -> service(m, 0).withObjectProperty("exec").put("shell", true));
        breakages.put("version 2", m -> m.put("version", 2));
        breakages.put("generation 0", m -> m.put("generation", 0));
        breakages.put("no reason", m -> m.remove("reason"));
        breakages.put("createdAt with offset", m -> m.put("createdAt", "2026-01-01T01:00:00+01:00"));
        breakages.put("reason with newline", m -> m.put("reason", "a\nb"));
        breakages.put("lower-case env name", m -> service(m, 0).withObjectProperty("env").put("port", "1"));
        breakages.put("numeric env value", m -> service(m, 0).withObjectProperty("env").put("PORT", 8000));
        breakages.put("envFile in the store", m -> service(m, 0).put("envFile",
                "/nix/store/00000000000000000000000000000000-x/secrets.env"));
        breakages.put("relative envFile", m -> service(m, 0).put("envFile", "secrets.env"));
        breakages.put("envFile with ..", m -> service(m, 0).put("envFile", "/var/../etc/shadow"));
        breakages.put("credential in the store", m -> service(m, 0).withObjectProperty("credentials").put("db",
                "/nix/store/00000000000000000000000000000000-x/db"));
        breakages.put("relative credential", m -> service(m, 0).withObjectProperty("credentials").put("db", "db.pass"));
        breakages.put("credential name with colon", m -> service(m, 0).withObjectProperty("credentials")
                .put("db:x", "/run/keys/db"));
        breakages.put("credential name ..", m -> service(m, 0).withObjectProperty("credentials")
                .put("..", "/run/keys/db"));
        breakages.put("credentials as array", m -> service(m, 0).putArray("credentials").add("/run/keys/db"));
        breakages.put("command with ..", m -> service(m, 0).withObjectProperty("exec").put("command", "../../bin/sh"));
        breakages.put("no exec", m -> service(m, 0).remove("exec"));
        breakages.put("fixed user missing", m -> service(m, 0).withObjectProperty("exec").remove("user"));
        breakages.put("ready without http", m -> service(m, 0).remove("http"));
        breakages.put("http path without slash", m -> service(m, 0).withObjectProperty("http").put("path", "api"));
        breakages.put("http path with ..", m -> service(m, 0).withObjectProperty("http").put("path", "/a/../b"));
        breakages.put("restart policy", m -> service(m, 0).withObjectProperty("systemd").put("restart", "sometimes"));
        breakages.put("unit without suffix", m -> ((ArrayNode) service(m, 0).withObjectProperty("systemd").get("after")).add("network"));
        breakages.put("repeated host", m -> ((ArrayNode) service(m, 0).get("hosts")).add("biz"));
        breakages.put("upper-case host", m -> ((ArrayNode) service(m, 0).get("hosts")).add("Biz"));
        breakages.put("protectSystem", m -> service(m, 0).withObjectProperty("hardening").put("protectSystem", "read-only"));
        breakages.put("revision with space", m -> service(m, 0).put("revision", "a b"));
        breakages.put("null envFile", m -> service(m, 0).putNull("envFile"));
        breakages.put("site without http", m -> site(m, 0).remove("http"));
        breakages.put("site spa as string", m -> site(m, 0).put("spa", "yes"));
        breakages.put("site with a port", m -> site(m, 0).withObjectProperty("http").put("internalPort", 1));
        for (Map.Entry<String, Consumer<ObjectNode>> breakage : breakages.entrySet()) {
            ObjectNode broken = (ObjectNode) tree(example("manifest"));
            breakage.getValue().accept(broken);
            byte[] bytes = write(broken);
            assertThatThrownBy(() -> Manifest.parse(bytes)).as(breakage.getKey())
                    .isInstanceOf(ManifestInvalidException.class);
            assertThat(schemaErrors(broken)).as(breakage.getKey()).isNotEmpty();
        }
    }

    /** The rules JSON Schema cannot state, as docs/manifest.md lists them: only the validator refuses these. */
    @Test
    void rulesAcrossFieldsAreTheValidatorsAlone() {
        Map<String, Consumer<ObjectNode>> breakages = new java.util.LinkedHashMap<>();
        breakages.put("duplicate name", m -> service(m, 1).put("name", service(m, 0).get("name").textValue()));
        breakages.put("site named like a service", m -> site(m, 0).put("name", service(m, 0).get("name").textValue()));
        breakages.put("route served twice", m -> service(m, 1).set("http", service(m, 0).get("http").deepCopy()));
        breakages.put("port twice on a host", m -> service(m, 1).set("http", JSON.createObjectNode()
                .put("domain", "other.example.org").put("internalPort", 8000)));
        breakages.put("absolute command outside the artifact", m -> service(m, 0).withObjectProperty("exec").put("command", "/bin/sh"));
        breakages.put("February 30th", m -> m.put("createdAt", "2026-02-30T00:00:00Z"));
        for (Map.Entry<String, Consumer<ObjectNode>> breakage : breakages.entrySet()) {
            ObjectNode broken = (ObjectNode) tree(example("manifest"));
            breakage.getValue().accept(broken);
            byte[] bytes = write(broken);
            assertThatThrownBy(() -> Manifest.parse(bytes)).as(breakage.getKey())
                    .isInstanceOf(ManifestInvalidException.class);
            assertThat(schemaErrors(broken)).as(breakage.getKey()).isEmpty();
        }
    }

    @Test
    void theEvaluatorItselfCatchesTheBasics() {
        assertThat(schemaErrors(tree("{}"))).contains("(root): missing required version");
        assertThat(schemaErrors(tree("[]"))).containsExactly("(root): not of type object");
    }

    private static ObjectNode service(ObjectNode manifest, int index) {
        return (ObjectNode) manifest.get("services").get(index);
    }

    private static ObjectNode site(ObjectNode manifest, int index) {
        return (ObjectNode) manifest.get("sites").get(index);
    }

    private static JsonNode tree(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] write(JsonNode node) {
        try {
            return JSON.writeValueAsBytes(node);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    // ---- a small evaluator for the JSON Schema keywords docs/manifest.schema.json uses ----

    private static final Set<String> ANNOTATIONS = Set.of("$schema", "$id", "title", "description", "default",
            "format", "$defs");

    private static List<String> schemaErrors(JsonNode value) {
        return check(schema, value, "");
    }

    private static List<String> check(JsonNode s, JsonNode v, String path) {
        List<String> errors = new ArrayList<>();
        String at = path.isEmpty() ? "(root)" : path;
        for (Iterator<String> keywords = s.fieldNames(); keywords.hasNext(); ) {
            String keyword = keywords.next();
            JsonNode k = s.get(keyword);
            switch (keyword) {
                case "$ref" -> errors.addAll(check(schema.at(k.textValue().substring(1)), v, path));
                case "type" -> {
                    if (!hasType(v, k.textValue())) {
                        errors.add(at + ": not of type " + k.textValue());
                        return errors;
                    }
                }
                case "const" -> {
                    if (!equalValues(k, v)) {
                        errors.add(at + ": not " + k);
                    }
                }
                case "enum" -> {
                    boolean any = false;
                    for (JsonNode option : k) {
                        any |= equalValues(option, v);
                    }
                    if (!any) {
                        errors.add(at + ": not one of " + k);
                    }
                }
                case "pattern" -> {
                    if (v.isTextual() && !Pattern.compile(k.textValue()).matcher(v.textValue()).find()) {
                        errors.add(at + ": does not match " + k.textValue());
                    }
                }
                case "minLength" -> {
                    if (v.isTextual() && v.textValue().codePointCount(0, v.textValue().length()) < k.intValue()) {
                        errors.add(at + ": shorter than " + k);
                    }
                }
                case "maxLength" -> {
                    if (v.isTextual() && v.textValue().codePointCount(0, v.textValue().length()) > k.intValue()) {
                        errors.add(at + ": longer than " + k);
                    }
                }
                case "minimum" -> {
                    if (v.isNumber() && v.decimalValue().compareTo(k.decimalValue()) < 0) {
                        errors.add(at + ": below " + k);
                    }
                }
                case "maximum" -> {
                    if (v.isNumber() && v.decimalValue().compareTo(k.decimalValue()) > 0) {
                        errors.add(at + ": above " + k);
                    }
                }
                case "required" -> {
                    if (v.isObject()) {
                        k.forEach(name -> {
                            if (!v.has(name.textValue())) {
                                errors.add(at + ": missing required " + name.textValue());
                            }
                        });
                    }
                }
                case "properties" -> {
                    if (v.isObject()) {
                        k.properties().forEach(p -> {
                            if (v.has(p.getKey())) {
                                errors.addAll(check(p.getValue(), v.get(p.getKey()), join(path, p.getKey())));
                            }
                        });
                    }
                }
                case "additionalProperties" -> {
                    if (v.isObject()) {
                        JsonNode properties = s.path("properties");
                        v.properties().forEach(p -> {
                            if (!properties.has(p.getKey())) {
                                if (k.isBoolean() && !k.booleanValue()) {
                                    errors.add(join(path, p.getKey()) + ": not allowed");
                                } else if (k.isObject()) {
                                    errors.addAll(check(k, p.getValue(), join(path, p.getKey())));
                                }
                            }
                        });
                    }
                }
                case "propertyNames" -> {
                    if (v.isObject()) {
                        v.fieldNames().forEachRemaining(name -> errors.addAll(
                                check(k, JSON.getNodeFactory().textNode(name), join(path, name) + " (name)")));
                    }
                }
                case "items" -> {
                    if (v.isArray()) {
                        for (int i = 0; i < v.size(); i++) {
                            errors.addAll(check(k, v.get(i), at + "[" + i + "]"));
                        }
                    }
                }
                case "uniqueItems" -> {
                    if (v.isArray() && k.booleanValue()) {
                        Set<JsonNode> seen = new HashSet<>();
                        v.forEach(item -> {
                            if (!seen.add(item)) {
                                errors.add(at + ": repeats " + item);
                            }
                        });
                    }
                }
                case "not" -> {
                    if (check(k, v, path).isEmpty()) {
                        errors.add(at + ": matches a schema it must not");
                    }
                }
                case "allOf" -> k.forEach(sub -> errors.addAll(check(sub, v, path)));
                case "dependentRequired" -> {
                    if (v.isObject()) {
                        k.properties().forEach(p -> {
                            if (v.has(p.getKey())) {
                                p.getValue().forEach(name -> {
                                    if (!v.has(name.textValue())) {
                                        errors.add(at + ": " + p.getKey() + " needs " + name.textValue());
                                    }
                                });
                            }
                        });
                    }
                }
                case "if" -> {
                    if (check(k, v, path).isEmpty() && s.has("then")) {
                        errors.addAll(check(s.get("then"), v, path));
                    }
                }
                case "then" -> {
                    // evaluated with "if"
                }
                default -> {
                    if (!ANNOTATIONS.contains(keyword)) {
                        throw new IllegalStateException("the test's evaluator does not know the keyword " + keyword);
                    }
                }
            }
        }
        return errors;
    }

    private static boolean hasType(JsonNode v, String type) {
        return switch (type) {
            case "object" -> v.isObject();
            case "array" -> v.isArray();
            case "string" -> v.isTextual();
            case "integer" -> v.isIntegralNumber() || (v.isNumber() && v.decimalValue().stripTrailingZeros().scale() <= 0);
            case "number" -> v.isNumber();
            case "boolean" -> v.isBoolean();
            case "null" -> v.isNull();
            default -> throw new IllegalStateException("unknown type " + type);
        };
    }

    /** JSON Schema equality: 1 and 1.0 are equal numbers. */
    private static boolean equalValues(JsonNode a, JsonNode b) {
        if (a.isNumber() && b.isNumber()) {
            return a.decimalValue().compareTo(b.decimalValue()) == 0;
        }
        return a.equals(b);
    }

    private static String join(String path, String field) {
        return path.isEmpty() ? field : path + "." + field;
    }
}
