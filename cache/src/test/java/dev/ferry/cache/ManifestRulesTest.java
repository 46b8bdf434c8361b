package dev.ferry.cache;

import static dev.ferry.cache.ManifestFixtures.storePath;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Every rule of schema v1, each broken on purpose: the error names the field and the reason. */
class ManifestRulesTest {
    private static final String HEAD = """
            "version": 1, "generation": 1, "createdAt": "2026-01-01T00:00:00Z", "reason": "test\"""";

    /** A manifest with these service objects (JSON, comma-separated) and sites. */
    private static String manifest(String services, String sites) {
        return "{" + HEAD + ", \"services\": [" + services + "], \"sites\": [" + sites + "]}";
    }

    /** A service object: name and store path, plus extra fields (a JSON fragment starting with a comma, or ""). */
    private static String svc(String name, String extra) {
        return "{\"name\": \"" + name + "\", \"artifact\": {\"type\": \"nix-closure\", \"storePath\": \""
                + storePath(name.isEmpty() ? "x" : name.replaceAll("[^a-z0-9-]", "x")) + "\"}, \"exec\": {\"command\": \"run\"}"
                + extra + "}";
    }

    private static String site(String name, String extra) {
        return "{\"name\": \"" + name + "\", \"artifact\": {\"storePath\": \"" + storePath(name) + "\"}" + extra + "}";
    }

    private static List<String> problems(String json) {
        return catchThrowableOfType(ManifestInvalidException.class,
                () -> Manifest.parse(json.getBytes(StandardCharsets.UTF_8))).problems();
    }

    private static List<String> serviceProblems(String extra) {
        return problems(manifest(svc("web", extra), ""));
    }

    @Test
    void aValidManifestHasNoProblems() {
        Manifest m = Manifest.parse(manifest(svc("web", ", \"http\": {\"domain\": \"example.org\", \"internalPort\": 80}"),
                site("docs", ", \"http\": {\"domain\": \"docs.example.org\"}")).getBytes(StandardCharsets.UTF_8));
        assertThat(m.services()).hasSize(1);
        assertThat(m.sites()).hasSize(1);
    }

    @Test
    void storePathIsNamedByIndexInDocumentOrder() {
        String bad = "{\"name\": \"b\", \"artifact\": {\"storePath\": \"/nix/store/tooshort-b\"}, \"exec\": {\"command\": \"b\"}}";
        assertThat(problems(manifest(svc("z", "") + "," + svc("a", "") + "," + bad, "")))
                .singleElement().asString()
                .startsWith("services[2].artifact.storePath: not a store path: ");
        String outside = "{\"name\": \"b\", \"artifact\": {\"storePath\": \"/usr/bin/b\"}, \"exec\": {\"command\": \"b\"}}";
        assertThat(problems(manifest(outside, ""))).containsExactly(
                "services[0].artifact.storePath: not a store path: path '/usr/bin/b' is not in /nix/store");
    }

    @Test
    void artifactTypeMustBeNixClosure() {
        String docker = "{\"name\": \"b\", \"artifact\": {\"type\": \"docker\", \"storePath\": \"" + storePath("b")
                + "\"}, \"exec\": {\"command\": \"b\"}}";
        assertThat(problems(manifest(docker, ""))).containsExactly(
                "services[0].artifact.type: must be \"nix-closure\" (the only artifact type of version 1)");
    }

    @Test
    void namesMatchThePattern() {
        assertThat(problems(manifest(svc("Web", ""), ""))).containsExactly(
                "services[0].name: 'Web' must match [a-z0-9][a-z0-9-]* (at most 63 characters)");
        assertThat(problems(manifest(svc("-web", ""), ""))).hasSize(1);
        assertThat(problems(manifest(svc("a".repeat(64), ""), ""))).hasSize(1);
        assertThat(problems(manifest(svc("web_1", ""), ""))).hasSize(1);
        Manifest.parse(manifest(svc("a".repeat(63), "") + "," + svc("0-web-", ""), "").getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void namesAreUniqueAcrossServicesAndSites() {
        assertThat(problems(manifest(svc("web", "") + "," + svc("web", ""), ""))).containsExactly(
                "services[1].name: the name 'web' is already used by services[0]");
        assertThat(problems(manifest(svc("web", ""), site("web", ", \"http\": {\"domain\": \"a.org\"}"))))
                .containsExactly("sites[0].name: the name 'web' is already used by services[0]");
        // The deployer names a site's route and profile site-<name>: a service of that name would collide.
        assertThat(problems(manifest(svc("site-docs", ""), site("docs", ", \"http\": {\"domain\": \"a.org\"}"))))
                .containsExactly("sites[0].name: the site 'docs' is deployed as 'site-docs', the name of services[0]");
    }

    @Test
    void portsAreFrom1To65535AndIntegers() {
        assertThat(serviceProblems(", \"http\": {\"domain\": \"a.org\", \"internalPort\": 0}")).containsExactly(
                "services[0].http.internalPort: must be an integer from 1 to 65535, not 0");
        assertThat(serviceProblems(", \"http\": {\"domain\": \"a.org\", \"internalPort\": 65536}")).containsExactly(
                "services[0].http.internalPort: must be an integer from 1 to 65535, not 65536");
        assertThat(serviceProblems(", \"http\": {\"domain\": \"a.org\", \"internalPort\": \"8000\"}")).containsExactly(
                "services[0].http.internalPort: must be an integer from 1 to 65535, not a string");
        assertThat(serviceProblems(", \"http\": {\"domain\": \"a.org\", \"internalPort\": 8000.5}")).containsExactly(
                "services[0].http.internalPort: must be an integer from 1 to 65535, not 8000.5");
        assertThat(Manifest.parse(manifest(svc("a", ", \"http\": {\"domain\": \"a.org\"}"), "")
                .getBytes(StandardCharsets.UTF_8)).services().getFirst().http().orElseThrow().internalPort()).isEmpty();
    }

    @Test
    void aliasesAreDomainsRoutedOnceLikeTheMainOne() {
        String a = svc("a", ", \"http\": {\"domain\": \"a.org\", \"aliases\": [\"www.a.org\", \"x.org\"]}");
        Manifest m = Manifest.parse(manifest(a, "").getBytes(StandardCharsets.UTF_8));
        assertThat(m.services().getFirst().http().orElseThrow().domains()).containsExactly("a.org", "www.a.org", "x.org");
        assertThat(problems(manifest(a, site("docs", ", \"http\": {\"domain\": \"x.org\"}")))).containsExactly(
                "sites[0].http: the route x.org/ of site docs is already served by services[0] (a)");
        assertThat(serviceProblems(", \"http\": {\"domain\": \"a.org\", \"aliases\": [\"B.org\", \"c.org\", \"c.org\"]}"))
                .hasSize(2).allSatisfy(p -> assertThat(p).startsWith("services[0].http.aliases["));
    }

    @Test
    void aPortIsUsedOnceOnEachHost() {
        String a = svc("a", ", \"hosts\": [\"h1\", \"h2\"], \"http\": {\"domain\": \"a.org\", \"internalPort\": 8000}");
        String b = svc("b", ", \"hosts\": [\"h2\"], \"http\": {\"domain\": \"b.org\", \"internalPort\": 8000}");
        String c = svc("c", ", \"hosts\": [\"h3\"], \"http\": {\"domain\": \"c.org\", \"internalPort\": 8000}");
        assertThat(problems(manifest(a + "," + b, ""))).containsExactly(
                "services[1].http.internalPort: port 8000 is already used by services[0] (a) on a host both run on");
        Manifest.parse(manifest(a + "," + c, "").getBytes(StandardCharsets.UTF_8));
        String everywhere = svc("d", ", \"http\": {\"domain\": \"d.org\", \"internalPort\": 8000}");
        assertThat(problems(manifest(c + "," + everywhere, ""))).hasSize(1);
    }

    @Test
    void aRouteIsServedOnce() {
        String a = svc("a", ", \"http\": {\"domain\": \"x.org\", \"path\": \"/api/\", \"internalPort\": 1}");
        String b = svc("b", ", \"http\": {\"domain\": \"x.org\", \"path\": \"/api/\", \"internalPort\": 2}");
        assertThat(problems(manifest(a + "," + b, ""))).containsExactly(
                "services[1].http: the route x.org/api/ of service b is already served by services[0] (a)");
        assertThat(problems(manifest(a, site("docs", ", \"http\": {\"domain\": \"x.org\", \"path\": \"/api/\"}"))))
                .containsExactly("sites[0].http: the route x.org/api/ of site docs is already served by services[0] (a)");
        String root = svc("c", ", \"http\": {\"domain\": \"x.org\", \"internalPort\": 3}");
        Manifest.parse(manifest(a + "," + root, "").getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void unknownFieldsAreRejectedWherever() {
        assertThat(problems("{" + HEAD + ", \"services\": [], \"extra\": 1}")).singleElement().asString()
                .startsWith("extra: unknown field (known here: version, generation, createdAt, reason, services, sites)");
        assertThat(serviceProblems(", \"port\": 8000")).singleElement().asString()
                .startsWith("services[0].port: unknown field");
        assertThat(problems(manifest(svc("web", "").replace("\"command\": \"run\"", "\"command\": \"run\", \"shell\": true"), "")))
                .containsExactly("services[0].exec.shell: unknown field (known here: command, args, user, group)");
        assertThat(serviceProblems(", \"ready\": {\"tcp\": {}}")).contains(
                "services[0].ready.tcp: unknown field (known here: http)", "services[0].ready.http: required");
    }

    @Test
    void versionMustBe1() {
        assertThat(problems(manifest("", "").replace("\"version\": 1", "\"version\": 2"))).containsExactly(
                "version: must be 1 (this Ferry reads manifest version 1, not 2)");
        assertThat(problems(manifest("", "").replace("\"version\": 1", "\"version\": \"1\""))).containsExactly(
                "version: must be 1 (this Ferry reads manifest version 1, not \"1\")");
        assertThat(problems(manifest("", "").replace("\"version\": 1, ", ""))).containsExactly("version: required");
    }

    @Test
    void generationIsAPositiveInteger() {
        assertThat(problems(manifest("", "").replace("\"generation\": 1", "\"generation\": 0"))).containsExactly(
                "generation: must be an integer from 1 to 9223372036854775807, not 0");
        assertThat(problems(manifest("", "").replace("\"generation\": 1", "\"generation\": \"2026-01-15T12:34:56Z\"")))
                .singleElement().asString().startsWith("generation: must be an integer");
        assertThat(problems(manifest("", "").replace("\"generation\": 1, ", ""))).containsExactly("generation: required");
    }

    @Test
    void createdAtIsRfc3339Utc() {
        assertThat(problems(manifest("", "").replace("2026-01-01T00:00:00Z", "2026-01-01T01:00:00+01:00")))
                .containsExactly("createdAt: '2026-01-01T01:00:00+01:00' is not an RFC 3339 UTC time such as "
                        + "2026-01-15T12:34:56Z");
        assertThat(problems(manifest("", "").replace("2026-01-01T00:00:00Z", "2026-02-30T00:00:00Z"))).hasSize(1);
        assertThat(problems(manifest("", "").replace("2026-01-01T00:00:00Z", "yesterday"))).hasSize(1);
    }

    @Test
    void reasonHasNoControlCharacters() {
        assertThat(problems(manifest("", "").replace("\"reason\": \"test\"", "\"reason\": \"a\\nb\"")))
                .containsExactly("reason: contains a control character");
        assertThat(problems(manifest("", "").replace("\"reason\": \"test\"", "\"reason\": \"" + "x".repeat(1001) + "\"")))
                .containsExactly("reason: longer than 1000 characters");
    }

    @Test
    void envKeysAreUpperCaseIdentifiersAndValuesAreStrings() {
        assertThat(serviceProblems(", \"env\": {\"port\": \"1\"}")).containsExactly(
                "services[0].env: variable name 'port' must match [A-Z_][A-Z0-9_]*");
        assertThat(serviceProblems(", \"env\": {\"1X\": \"1\"}")).hasSize(1);
        assertThat(serviceProblems(", \"env\": {\"A-B\": \"1\"}")).hasSize(1);
        assertThat(serviceProblems(", \"env\": {\"PORT\": 8000}")).containsExactly(
                "services[0].env.PORT: must be a string, not a number (write numbers as \"8000\")");
        assertThat(serviceProblems(", \"env\": {\"A\": \"x\\u0000y\"}")).containsExactly(
                "services[0].env.A: contains a NUL character");
        assertThat(serviceProblems(", \"env\": [\"A=1\"]")).containsExactly(
                "services[0].env: must be an object of NAME: value strings, not an array");
        // Linux's limit on one variable (NAME=value and its NUL): 128 KiB. Just under it is fine.
        String fits = "x".repeat(128 * 1024 - "BIG=".length() - 1);
        assertThat(Manifest.parse(manifest(svc("web", ", \"env\": {\"BIG\": \"" + fits + "\"}"), "")
                .getBytes(StandardCharsets.UTF_8)).services().getFirst().env().get("BIG")).hasSize(fits.length());
        assertThat(serviceProblems(", \"env\": {\"BIG\": \"" + fits + "x\"}")).containsExactly(
                "services[0].env.BIG: BIG=value is 131073 bytes with its NUL: Linux runs no program with a variable "
                        + "of more than 131072 bytes; put large values in a file the service reads");
    }

    @Test
    void envFileIsAnAbsoluteHostPathOutsideTheStore() {
        assertThat(serviceProblems(", \"envFile\": \"secrets.env\"")).containsExactly(
                "services[0].envFile: 'secrets.env' must be an absolute path without control characters");
        assertThat(serviceProblems(", \"envFile\": \"/var/lib/../etc/shadow\"")).containsExactly(
                "services[0].envFile: '/var/lib/../etc/shadow' must be a normalised absolute path (no //, . or ..)");
        assertThat(serviceProblems(", \"envFile\": \"" + storePath("secrets") + "/web.env\"")).singleElement()
                .asString().contains("is in the Nix store, which every local user can read");
    }

    @Test
    void credentialsMapSystemdNamesToHostPathsOutsideTheStore() {
        Manifest m = Manifest.parse(manifest(svc("web", ", \"credentials\": {\"token\": \"/run/keys/web-token\", "
                + "\"db.pass_2-x\": \"/var/lib/ferry-secrets/db\"}"), "").getBytes(StandardCharsets.UTF_8));
        assertThat(m.services().getFirst().credentials()).containsExactly(
                java.util.Map.entry("db.pass_2-x", "/var/lib/ferry-secrets/db"),
                java.util.Map.entry("token", "/run/keys/web-token"));
        assertThat(serviceProblems(", \"credentials\": {\"db\": \"secrets/db\"}")).containsExactly(
                "services[0].credentials.db: 'secrets/db' must be an absolute path without control characters");
        assertThat(serviceProblems(", \"credentials\": {\"db\": \"/var/lib/./db\"}")).containsExactly(
                "services[0].credentials.db: '/var/lib/./db' must be a normalised absolute path (no //, . or ..)");
        assertThat(serviceProblems(", \"credentials\": {\"db\": \"" + storePath("secrets") + "/db\"}"))
                .singleElement().asString()
                .startsWith("services[0].credentials.db: ")
                .contains("is in the Nix store, which every local user can read");
        assertThat(serviceProblems(", \"credentials\": {\"db\": 42}")).containsExactly(
                "services[0].credentials.db: must be a string (a path on the host), not a number");
        assertThat(serviceProblems(", \"credentials\": {\"db\": null}")).containsExactly(
                "services[0].credentials.db: must be a string (a path on the host), not null");
        assertThat(serviceProblems(", \"credentials\": {\"a:b\": \"/k\", \"..\": \"/k\", \"a/b\": \"/k\"}"))
                .containsExactly(
                        "services[0].credentials: credential name 'a:b' must be 1 to 255 of [A-Za-z0-9_.-], and not . or ..",
                        "services[0].credentials: credential name '..' must be 1 to 255 of [A-Za-z0-9_.-], and not . or ..",
                        "services[0].credentials: credential name 'a/b' must be 1 to 255 of [A-Za-z0-9_.-], and not . or ..");
        assertThat(serviceProblems(", \"credentials\": {\"\": \"/k\"}")).containsExactly(
                "services[0].credentials: credential name '' must be 1 to 255 of [A-Za-z0-9_.-], and not . or ..");
        assertThat(serviceProblems(", \"credentials\": [\"/k\"]")).containsExactly(
                "services[0].credentials: must be an object of name: \"/host/path\" strings, not an array");
        assertThat(serviceProblems(", \"credentials\": null")).containsExactly(
                "services[0].credentials: must not be null (leave the field out instead)");
    }

    @Test
    void nullIsNeverAValue() {
        assertThat(serviceProblems(", \"envFile\": null")).containsExactly(
                "services[0].envFile: must not be null (leave the field out instead)");
        assertThat(problems(manifest("", "").replace("\"reason\": \"test\"", "\"reason\": null"))).containsExactly(
                "reason: must not be null (leave the field out instead)");
    }

    @Test
    void commandIsANameARelativePathOrAnAbsolutePathInsideTheArtifact() {
        String inside = storePath("web") + "/libexec/web";
        Manifest.parse(manifest(svc("web", "").replace("\"command\": \"run\"", "\"command\": \"" + inside + "\""), "")
                .getBytes(StandardCharsets.UTF_8));
        Manifest.parse(manifest(svc("web", "").replace("\"command\": \"run\"", "\"command\": \"libexec/web\""), "")
                .getBytes(StandardCharsets.UTF_8));
        assertThat(problems(manifest(svc("web", "").replace("\"command\": \"run\"", "\"command\": \"/bin/sh\""), "")))
                .singleElement().asString().startsWith("services[0].exec.command: '/bin/sh' is outside the artifact");
        assertThat(problems(manifest(svc("web", "").replace("\"command\": \"run\"", "\"command\": \"../../bin/sh\""), "")))
                .containsExactly("services[0].exec.command: '../../bin/sh' has an empty, . or .. segment");
        assertThat(problems(manifest(svc("web", "").replace("\"command\": \"run\"", "\"command\": \"" + storePath("web")
                + "/../x/bin/sh\""), ""))).hasSize(1);
        assertThat(problems(manifest(svc("web", "").replace("\"exec\": {\"command\": \"run\"}", "\"exec\": {}"), "")))
                .containsExactly("services[0].exec.command: required");
        assertThat(problems(manifest(svc("web", "").replace(", \"exec\": {\"command\": \"run\"}", ""), "")))
                .containsExactly("services[0].exec: required");
    }

    @Test
    void usersAreAccountNamesAndAFixedUserIsRequiredWithoutDynamicUser() {
        assertThat(problems(manifest(svc("web", "").replace("\"command\": \"run\"", "\"command\": \"run\", \"user\": \"Web User\""), "")))
                .containsExactly("services[0].exec.user: 'Web User' must match [a-z_][a-z0-9_-]* (at most 32 characters)");
        assertThat(serviceProblems(", \"hardening\": {\"dynamicUser\": false}")).singleElement().asString()
                .startsWith("services[0].exec.user: required when hardening.dynamicUser is false");
        Manifest.parse(manifest(svc("web", ", \"hardening\": {\"dynamicUser\": false}")
                .replace("\"command\": \"run\"", "\"command\": \"run\", \"user\": \"root\""), "").getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void readinessNeedsAnHttpPort() {
        assertThat(serviceProblems(", \"ready\": {\"http\": {\"path\": \"/healthz\"}}")).containsExactly(
                "services[0].ready.http: probes http.internalPort, but the service has no http section");
        assertThat(serviceProblems(", \"http\": {\"domain\": \"a.org\", \"internalPort\": 1}, "
                + "\"ready\": {\"http\": {\"timeoutSeconds\": 0}}")).containsExactly(
                "services[0].ready.http.timeoutSeconds: must be an integer from 1 to 3600, not 0");
    }

    @Test
    void systemdSettingsAreChecked() {
        assertThat(serviceProblems(", \"systemd\": {\"restart\": \"sometimes\"}")).containsExactly(
                "services[0].systemd.restart: 'sometimes' is not one of no, always, on-success, on-failure, "
                        + "on-abnormal, on-abort, on-watchdog");
        assertThat(serviceProblems(", \"systemd\": {\"after\": [\"network-online\"]}")).containsExactly(
                "services[0].systemd.after[0]: 'network-online' is not a systemd unit name such as network-online.target");
        assertThat(serviceProblems(", \"systemd\": {\"requires\": [\"a.service\", \"a.service\"]}")).containsExactly(
                "services[0].systemd.requires[1]: 'a.service' is listed twice");
        assertThat(serviceProblems(", \"systemd\": {\"restartSec\": -1}")).containsExactly(
                "services[0].systemd.restartSec: must be an integer from 0 to 3600, not -1");
        assertThat(serviceProblems(", \"systemd\": {\"after\": \"postgresql.service\"}")).containsExactly(
                "services[0].systemd.after: must be an array, not a string");
    }

    @Test
    void hardeningSettingsAreChecked() {
        assertThat(serviceProblems(", \"hardening\": {\"protectSystem\": true}")).containsExactly(
                "services[0].hardening.protectSystem: must be a string, not a boolean");
        assertThat(serviceProblems(", \"hardening\": {\"protectSystem\": \"read-only\"}")).containsExactly(
                "services[0].hardening.protectSystem: 'read-only' is not one of strict, full, yes, no");
        assertThat(serviceProblems(", \"hardening\": {\"privateTmp\": \"yes\"}")).containsExactly(
                "services[0].hardening.privateTmp: must be true or false, not a string");
    }

    @Test
    void hostsAndDomainsAreDnsNames() {
        assertThat(serviceProblems(", \"hosts\": [\"Biz\"]")).containsExactly(
                "services[0].hosts[0]: 'Biz' is not a lower-case DNS name");
        assertThat(serviceProblems(", \"hosts\": [\"biz\", \"biz\"]")).containsExactly(
                "services[0].hosts[1]: 'biz' is listed twice");
        assertThat(serviceProblems(", \"http\": {\"domain\": \"https://a.org\", \"internalPort\": 1}")).containsExactly(
                "services[0].http.domain: 'https://a.org' is not a lower-case DNS name");
    }

    @Test
    void urlPathsAreAbsoluteAndClean() {
        for (String path : List.of("api", "/a b", "/../x", "/x?y=1", "/a//b")) {
            assertThat(serviceProblems(", \"http\": {\"domain\": \"a.org\", \"path\": \"" + path + "\", \"internalPort\": 1}"))
                    .as(path).singleElement().asString().startsWith("services[0].http.path: '" + path + "'");
        }
    }

    @Test
    void sitesNeedAnHttpDomainAndABooleanSpa() {
        assertThat(problems(manifest("", site("docs", "")))).containsExactly("sites[0].http: required");
        assertThat(problems(manifest("", site("docs", ", \"http\": {\"domain\": \"d.org\"}, \"spa\": \"yes\""))))
                .containsExactly("sites[0].spa: must be true or false, not a string");
        assertThat(problems(manifest("", site("docs", ", \"http\": {\"domain\": \"d.org\", \"internalPort\": 1}"))))
                .containsExactly("sites[0].http.internalPort: unknown field (known here: domain, aliases, path)");
    }

    @Test
    void revisionIsPrintableWithoutSpaces() {
        assertThat(serviceProblems(", \"revision\": \"abc def\"")).containsExactly(
                "services[0].revision: must be 1 to 200 printable ASCII characters without spaces");
    }

    @Test
    void malformedDocumentsAreNamedAsSuch() {
        assertThat(problems("{\"version\": 1, \"version\": 1}")).singleElement().asString()
                .startsWith("(document): not valid JSON at line 1").contains("Duplicate field 'version'");
        assertThat(problems(manifest("", "") + " {}")).singleElement().asString().startsWith("(document): not valid JSON");
        assertThat(problems("[]")).containsExactly("(document): must be an object, not an array");
        assertThat(problems("")).containsExactly("(document): empty");
        assertThatThrownBy(() -> Manifest.parse(new byte[] {'{', (byte) 0xff, '}'}))
                .hasMessage("manifest is invalid: (document): not valid UTF-8");
    }

    @Test
    void everyProblemIsReportedInOnePass() {
        String json = manifest(svc("Web", ", \"env\": {\"x\": \"1\"}, \"http\": {\"domain\": \"a.org\", \"internalPort\": 0}"), "")
                .replace("\"version\": 1", "\"version\": 3");
        ManifestInvalidException e = catchThrowableOfType(ManifestInvalidException.class,
                () -> Manifest.parse(json.getBytes(StandardCharsets.UTF_8)));
        assertThat(e.problems()).containsExactly(
                "version: must be 1 (this Ferry reads manifest version 1, not 3)",
                "services[0].name: 'Web' must match [a-z0-9][a-z0-9-]* (at most 63 characters)",
                "services[0].env: variable name 'x' must match [A-Z_][A-Z0-9_]*",
                "services[0].http.internalPort: must be an integer from 1 to 65535, not 0");
        assertThat(e.getMessage()).startsWith("manifest is invalid (4 problems):\n  version: must be 1");
    }

    @Test
    void aStandaloneServiceNamesFieldsFromItsOwnRoot() {
        assertThatThrownBy(() -> ManifestFixtures.parseService("{\"name\": \"web\", \"artifact\": {\"storePath\": \"/tmp/x\"}, "
                + "\"exec\": {\"command\": \"web\"}}"))
                .isInstanceOf(ManifestInvalidException.class)
                .hasMessage("service in test is invalid: artifact.storePath: not a store path: path '/tmp/x' is not in /nix/store");
    }
}
