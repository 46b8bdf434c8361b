package dev.ferry.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigCheckTest {
    @TempDir
    Path temp;

    private static final String KEY = dev.ferry.nix.SecretKey.generate("a").publicKey().render();

    private ConfigCheck.Result check(String yaml, Map<String, String> variables) throws IOException {
        Path file = temp.resolve("ferry.yaml");
        Files.writeString(file, yaml);
        return ConfigCheck.check(Optional.of(file), new ServerConfig.Environment(variables, false, temp));
    }

    private List<String> problems(String yaml) throws IOException {
        return check(yaml, Map.of("HOME", "/home/ann")).problems().stream().map(Object::toString).toList();
    }

    @Test
    void aFullValidConfigurationLoadsEverySection() throws IOException {
        ConfigCheck.Result result = check("""
                ferry:
                  data-dir: /srv/ferry
                  server: {port: 9090}
                  cache: {compression: xz, max-upload-size: 1G}
                  projects:
                    - {name: web, clone-url: "https://git.example.org/web.git", production-branch: main}
                    - {name: api, clone-url: "git@git.example.org:api.git", webhook-secret-file: /run/keys/api}
                  webhook: {secret-file: /run/keys/hook, max-body-size: 2M}
                  admin-token-file: /run/keys/admin
                  api: {public-read: true}
                  builder: {max-concurrent-builds: 3, nix-timeout: 30m, system: x86_64-linux}
                  domains: {ephemeral: ferry.example.org}
                  deployer:
                    enabled: true
                    trusted-keys: ["%s"]
                    substituters: [http://a/cache, http://b/cache]
                    reconcile-interval: 10s
                    keep-generations: 3
                  log: {format: json}
                """.formatted(KEY), Map.of());
        assertThat(result.problems()).isEmpty();
        ConfigCheck.Loaded loaded = result.orThrow();
        assertThat(loaded.server().port()).isEqualTo(9090);
        assertThat(loaded.builder().projects()).hasSize(2);
        assertThat(loaded.pipeline().nixTimeout()).hasMinutes(30);
        assertThat(loaded.deployer().substituters()).containsExactly("http://a/cache", "http://b/cache");
        assertThat(loaded.log().format()).isEqualTo(LogSettings.Format.JSON);
        assertThat(loaded.summary()).contains("configuration is valid", ":9090", "2 project(s)", "deployer enabled",
                "logs json");
    }

    @Test
    void unknownKeysAnywhereUnderFerryAreEachNamed() throws IOException {
        assertThat(problems("""
                ferry:
                  colour: blue
                  server: {prot: 1}
                  builder: {max-concurent-builds: 3}
                  deployer: {enabld: true}
                  log: {level: debug}
                  projects:
                    - {name: web, clone-url: "https://x/web.git", branch: main}
                other: {left: alone}
                """)).containsExactlyInAnyOrder(
                "ferry.colour: unknown setting (known in ferry: data-dir, server, cache, webhook, "
                        + "admin-token-file, api, builder, domains, deployer, log, projects)",
                "ferry.server.prot: unknown setting (known in ferry.server: host, port)",
                "ferry.builder.max-concurent-builds: unknown setting (known in ferry.builder: max-concurrent-builds, "
                        + "nix-timeout, system)",
                "ferry.deployer.enabld: unknown setting (known in ferry.deployer: enabled, manifest-uri, host, "
                        + "trusted-keys, substituters, profiles-dir, keep-generations, state-dir, systemd-bus, "
                        + "unit-prefix, port-range, caddy-admin-url, caddy-listen, poll-interval, reconcile-interval, "
                        + "report-token-file)",
                "ferry.log.level: unknown setting (known in ferry.log: format)",
                "ferry.projects[0].branch: unknown setting (known in a project: name, clone-url, production-branch, "
                        + "webhook-secret-file)");
    }

    @Test
    void aValueWhereASectionBelongsIsAProblem() throws IOException {
        assertThat(problems("ferry: {deployer: yes}\n"))
                .containsExactly("ferry.deployer: expected a section of keys, found a single value");
    }

    @Test
    void twoProjectsWithTheSameRepositoryAreAProblemNamingBoth() throws IOException {
        assertThat(problems("""
                ferry:
                  projects:
                    - {name: shop, clone-url: "https://git.example.org/alice/shop.git"}
                    - {name: blog, clone-url: "not a url"}
                    - {name: mirror, clone-url: "https://bot:t0ken@Git.Example.org/alice/shop.git/"}
                    - {name: other, clone-url: "https://mirror.example/alice/shop.git"}
                    - {name: broken, clone-url: "also not a url"}
                """)).containsExactly(
                "ferry.projects[1].clone-url: 'not a url' is not a clone URL (https://, http://, ssh://, git://, "
                        + "file:// or user@host:path)",
                "ferry.projects[4].clone-url: 'also not a url' is not a clone URL (https://, http://, ssh://, "
                        + "git://, file:// or user@host:path)",
                "ferry.projects[2].clone-url: 'https://***@Git.Example.org/alice/shop.git/' is the repository of "
                        + "project shop (ferry.projects[0]) too: a repository's webhook deliveries go to one project "
                        + "only");
    }

    @Test
    void badValuesInEverySectionAreAllReportedAtOnce() throws IOException {
        assertThat(problems("""
                ferry:
                  server: {port: 70000, host: ""}
                  cache: {compression: rar, max-upload-size: lots}
                  api: {public-read: maybe}
                  builder: {max-concurrent-builds: 0, nix-timeout: forever}
                  projects:
                    - {name: Web, clone-url: "https://x/web.git"}
                    - {name: api, clone-url: "not a url"}
                  deployer: {reconcile-interval: -5s, port-range: 9-1, keep-generations: 0, unit-prefix: "Bad!"}
                  log: {format: xml}
                """)).containsExactlyInAnyOrder(
                "ferry.server.host: is empty",
                "ferry.server.port: '70000' is not a port number (0 to 65535; 0 picks a free port)",
                "ferry.cache.compression: " + problemOf(() -> dev.ferry.cache.Compression.parse("rar")),
                "ferry.cache.max-upload-size: 'lots' is not a positive size (bytes, or a number with K, M, G or T, "
                        + "e.g. 32G)",
                "ferry.api.public-read: 'maybe' is not true or false",
                "ferry.builder.max-concurrent-builds: '0' is not a number from 1 to 64",
                "ferry.projects[0].name: 'Web' must be lower-case letters, digits and '-', starting with a letter or "
                        + "digit, at most 40 characters",
                "ferry.projects[1].clone-url: 'not a url' is not a clone URL (https://, http://, ssh://, git://, "
                        + "file:// or user@host:path)",
                "ferry.builder.nix-timeout: 'forever' is not a positive duration (90s, 30m, 2h)",
                "ferry.deployer.port-range: port range 9-1 is not a range of ports (1-65535)",
                "ferry.deployer.reconcile-interval: must be positive",
                "ferry.deployer.keep-generations: 0 is below 1",
                "ferry.deployer.unit-prefix: " + problemOf(() -> new dev.ferry.deployer.DeployerSettings("file:///c",
                        "h", List.of(dev.ferry.nix.SecretKey.generate("k").publicKey()), List.of(), temp, 5, temp,
                        "user", "Bad!", 1, 2, java.net.URI.create("http://x"), ":80",
                        java.time.Duration.ofSeconds(1), java.time.Duration.ofSeconds(1))).substring(
                        "ferry.deployer.unit-prefix: ".length()),
                "ferry.log.format: 'xml' is not text or json");
    }

    @Test
    void environmentVariablesAreCheckedToo() throws IOException {
        ConfigCheck.Result result = check("ferry: {}\n", Map.of("HOME", "/h", "FERRY_SERVER_PORT", "x",
                "FERRY_DEPLOYER_POLL_INTERVAL", "soon", "FERRY_LOG_FORMAT", "json"));
        assertThat(result.problems()).map(Object::toString).containsExactlyInAnyOrder(
                "ferry.server.port: 'x' is not a port number (0 to 65535; 0 picks a free port)",
                "ferry.deployer.poll-interval: 'soon' is not a duration (e.g. 30s, 500ms, 2m)");
    }

    @Test
    void anUnreadableFileIsOneProblemAndOrThrowListsEveryProblem() throws IOException {
        ConfigCheck.Result missing = ConfigCheck.check(Optional.of(temp.resolve("nope.yaml")),
                new ServerConfig.Environment(Map.of("HOME", "/h"), false, temp));
        assertThat(missing.problems()).map(Object::toString).containsExactly("--config: " + temp.resolve("nope.yaml")
                + " is not a readable file");
        ConfigCheck.Result two = check("ferry: {server: {port: x}, log: {format: xml}}\n", Map.of("HOME", "/h"));
        assertThatThrownBy(two::orThrow).isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("2 problems")
                .hasMessageContaining("ferry.server.port: 'x'")
                .hasMessageContaining("ferry.log.format: 'xml'");
        assertThat(check("ferry: {server: {port: : :}}\n", Map.of("HOME", "/h")).problems())
                .singleElement().extracting(ConfigCheck.Problem::key).isEqualTo("--config");
    }

    @Test
    void anAgentsConfigurationIsCheckedAsTheAgentUsesIt() throws IOException {
        // No trusted key: `ferry deployer` refuses it, so the check does too, naming the key once.
        assertThat(problems("""
                ferry:
                  deployer: {manifest-uri: "http://ferry.example.org:8080/cache", host: web-1}
                """)).containsExactly("ferry.deployer.trusted-keys: at least one key is needed (name:base64); "
                + "without one no manifest can be trusted");
        ConfigCheck.Result valid = check("""
                ferry:
                  deployer:
                    manifest-uri: "http://ferry.example.org:8080/cache"
                    host: web-1
                    trusted-keys: ["%s"]
                    state-dir: /var/lib/ferry-deployer
                """.formatted(KEY), Map.of("HOME", "/home/ann"));
        assertThat(valid.problems()).isEmpty();
        assertThat(valid.orThrow().summary()).isEqualTo("ferry: configuration is valid for the agent (host web-1, "
                + "manifests from http://ferry.example.org:8080/cache, 1 trusted key(s), state in "
                + "/var/lib/ferry-deployer, logs text)");
        // With the co-resident deployer on, it is a server's configuration, whose own key is trusted by default.
        assertThat(problems("""
                ferry:
                  deployer: {enabled: true, manifest-uri: "file:///srv/cache"}
                """)).isEmpty();
    }

    @Test
    void ferryServeChecksAServersConfigurationAndFerryDeployerAnAgentsWhateverTheyLookLike() throws IOException {
        String leftover = """
                ferry:
                  deployer: {enabled: false, manifest-uri: "http://ferry.example.org:8080/cache"}
                """;
        Map<String, String> home = Map.of("HOME", "/home/ann");
        assertThat(checkAs(leftover, home, ConfigCheck.Use.SERVER).problems()).isEmpty();
        assertThat(checkAs(leftover, home, ConfigCheck.Use.SERVER).orThrow().summary())
                .startsWith("ferry: configuration is valid (cache ");
        assertThat(checkAs(leftover, home, ConfigCheck.Use.EITHER).problems()).map(Object::toString)
                .containsExactly("ferry.deployer.trusted-keys: at least one key is needed (name:base64); without one "
                        + "no manifest can be trusted");
        // A problem of trusted-keys (unset, or a bad key) is that one problem: manifest-uri is set, and stays so.
        for (String keys : List.of("", ", trusted-keys: [\"garbage\"]")) {
            assertThat(checkAs("""
                    ferry:
                      deployer: {manifest-uri: "http://old.example:8080/cache"%s}
                    """.formatted(keys), home, ConfigCheck.Use.AGENT).problems()).as(keys).singleElement()
                    .satisfies(p -> assertThat(p.key()).isEqualTo("ferry.deployer.trusted-keys"));
        }
        assertThat(checkAs("ferry: {log: {format: json}}\n", home, ConfigCheck.Use.AGENT).problems())
                .map(Object::toString).containsExactly("ferry.deployer.manifest-uri: is required for the agent "
                        + "(file://, s3:// or http(s)://HOST/cache)");
        // The manifest URI is checked as the agent opens it.
        for (String bad : List.of("http://ferry.example.org/cache?x=1", "ftp://ferry.example.org/cache", "s3://a",
                "ferry.example.org/cache")) {
            assertThat(checkAs("""
                    ferry:
                      deployer: {manifest-uri: "%s", trusted-keys: ["%s"]}
                    """.formatted(bad, KEY), home, ConfigCheck.Use.AGENT).problems()).as(bad).singleElement()
                    .satisfies(p -> assertThat(p.toString()).startsWith("ferry.deployer.manifest-uri: ")
                            .contains(bad));
        }
    }

    private ConfigCheck.Result checkAs(String yaml, Map<String, String> variables, ConfigCheck.Use use)
            throws IOException {
        Path file = temp.resolve("ferry.yaml");
        Files.writeString(file, yaml);
        return ConfigCheck.check(Optional.of(file), new ServerConfig.Environment(variables, false, temp), use);
    }

    private static String problemOf(Runnable action) {
        try {
            action.run();
        } catch (RuntimeException e) {
            return e.getMessage();
        }
        throw new AssertionError("expected a failure");
    }
}
