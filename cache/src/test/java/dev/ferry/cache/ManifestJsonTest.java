package dev.ferry.cache;

import static dev.ferry.cache.ManifestFixtures.EXAMPLE;
import static dev.ferry.cache.ManifestFixtures.parse;
import static dev.ferry.cache.ManifestFixtures.storePath;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The canonical form: the same manifest always gives the same bytes. */
class ManifestJsonTest {

    private static final String CANONICAL = """
            {
              "version": 1,
              "generation": 3,
              "createdAt": "2026-11-23T12:34:56Z",
              "reason": "deploy web abc123def",
              "services": [
                {
                  "name": "web",
                  "artifact": {
                    "type": "nix-closure",
                    "storePath": "%s"
                  },
                  "hosts": [
                    "biz"
                  ],
                  "exec": {
                    "command": "web",
                    "args": [
                      "--port",
                      "8000"
                    ],
                    "user": "web",
                    "group": "web"
                  },
                  "env": {
                    "BASE_URL": "https://example.org",
                    "PORT": "8000"
                  },
                  "envFile": "/var/lib/ferry-secrets/web.env",
                  "http": {
                    "domain": "example.org",
                    "path": "/",
                    "internalPort": 8000
                  },
                  "ready": {
                    "http": {
                      "path": "/healthz",
                      "timeoutSeconds": 30
                    }
                  },
                  "systemd": {
                    "after": [
                      "network-online.target"
                    ],
                    "requires": [],
                    "restart": "on-failure",
                    "restartSec": 5
                  },
                  "hardening": {
                    "dynamicUser": false,
                    "privateTmp": true,
                    "protectSystem": "strict",
                    "protectHome": true
                  },
                  "revision": "abc123def"
                },
                {
                  "name": "worker",
                  "artifact": {
                    "type": "nix-closure",
                    "storePath": "%s"
                  },
                  "hosts": [],
                  "exec": {
                    "command": "worker",
                    "args": []
                  },
                  "env": {},
                  "systemd": {
                    "after": [],
                    "requires": [],
                    "restart": "on-failure",
                    "restartSec": 5
                  },
                  "hardening": {
                    "dynamicUser": true,
                    "privateTmp": true,
                    "protectSystem": "strict",
                    "protectHome": true
                  }
                }
              ],
              "sites": [
                {
                  "name": "docs",
                  "artifact": {
                    "type": "nix-closure",
                    "storePath": "%s"
                  },
                  "hosts": [],
                  "http": {
                    "domain": "docs.example.org",
                    "path": "/"
                  },
                  "spa": true
                }
              ]
            }
            """.formatted(storePath("web-1.2.3"), storePath("worker-1.2.3"), storePath("docs"));

    @Test
    void canonicalFormHasFixedOrderSortedMapsTwoSpaceIndentAndTrailingNewline() {
        assertThat(text(parse(EXAMPLE).toJson())).isEqualTo(CANONICAL);
    }

    @Test
    void canonicalFormIsAFixedPoint() {
        byte[] once = parse(EXAMPLE).toJson();
        byte[] twice = Manifest.parse(once).toJson();
        assertThat(twice).isEqualTo(once);
        assertThat(Manifest.parse(once)).isEqualTo(parse(EXAMPLE));
    }

    @Test
    void fieldOrderWhitespaceMapOrderAndListOrderOfServicesDoNotChangeTheBytes() {
        String shuffled = """
                {"sites": [{"spa": true, "http": {"domain": "docs.example.org", "path": "/"},
                            "artifact": {"storePath": "%s", "type": "nix-closure"}, "name": "docs"}],
                 "services": [
                   {"exec": {"command": "worker"}, "name": "worker", "artifact": {"storePath": "%s"}},
                   {"revision": "abc123def",
                    "hardening": {"protectHome": true, "protectSystem": "strict", "privateTmp": true, "dynamicUser": false},
                    "systemd": {"restartSec": 5, "restart": "on-failure", "after": ["network-online.target"]},
                    "ready": {"http": {"timeoutSeconds": 30, "path": "/healthz"}},
                    "http": {"internalPort": 8000, "domain": "example.org"},
                    "envFile": "/var/lib/ferry-secrets/web.env",
                    "env": {"PORT": "8000", "BASE_URL": "https://example.org"},
                    "exec": {"group": "web", "user": "web", "args": ["--port", "8000"], "command": "web"},
                    "hosts": ["biz"], "artifact": {"storePath": "%s"}, "name": "web"}],
                 "reason": "deploy web abc123def", "createdAt": "2026-11-23T12:34:56Z", "generation": 3, "version": 1}
                """.formatted(storePath("docs"), storePath("worker-1.2.3"), storePath("web-1.2.3"));
        assertThat(text(parse(shuffled).toJson())).isEqualTo(CANONICAL);
    }

    @Test
    void nonAsciiAndControlCharactersAreEscapedSoTheBytesAreAscii() {
        Manifest manifest = new Manifest(1, 1, Instant.parse("2026-01-01T00:00:00Z"), "caf\u00e9 \u2603 \"q\" \\",
                List.of(), List.of());
        byte[] json = manifest.toJson();
        String text = text(json);
        assertThat(text).contains("\"reason\": \"caf\\u00e9 \\u2603 \\\"q\\\" \\\\\"");
        for (byte b : json) {
            assertThat(b & 0xff).isLessThan(0x80);
        }
        assertThat(Manifest.parse(json)).isEqualTo(manifest);
    }

    @Test
    void envValuesWithNewlinesAndUnicodeRoundTrip() {
        String json = """
                {"version": 1, "generation": 1, "createdAt": "2026-01-01T00:00:00Z", "reason": "r",
                 "services": [{"name": "a", "artifact": {"storePath": "%s"}, "exec": {"command": "a"},
                               "env": {"GREETING": "gr\\u00fc\\u00df\\ndich\\t\\u0001"}}]}
                """.formatted(storePath("a"));
        Manifest manifest = parse(json);
        assertThat(manifest.services().getFirst().env()).containsEntry("GREETING", "gr\u00fc\u00df\ndich\t\u0001");
        assertThat(Manifest.parse(manifest.toJson())).isEqualTo(manifest);
        assertThat(text(manifest.toJson())).contains("\"GREETING\": \"gr\\u00fc\\u00df\\ndich\\t\\u0001\"");
    }

    @Test
    void credentialsAreWrittenSortedAfterEnvFileAndOnlyWhenThereAreSome() {
        String json = """
                {"version": 1, "generation": 1, "createdAt": "2026-01-01T00:00:00Z", "reason": "r",
                 "services": [{"name": "a", "artifact": {"storePath": "%s"}, "exec": {"command": "a"},
                               "credentials": {"token": "/run/keys/token", "db": "/run/keys/db"},
                               "envFile": "/run/keys/a.env"}]}
                """.formatted(storePath("a"));
        Manifest manifest = parse(json);
        assertThat(text(manifest.toJson())).contains(String.join("\n",
                "      \"envFile\": \"/run/keys/a.env\",",
                "      \"credentials\": {",
                "        \"db\": \"/run/keys/db\",",
                "        \"token\": \"/run/keys/token\"",
                "      },",
                "      \"systemd\": {"));
        assertThat(Manifest.parse(manifest.toJson())).isEqualTo(manifest);

        // an explicitly empty object means the same as none, and renders as before the field existed
        Manifest none = parse(json.replaceAll("\"credentials\": \\{[^}]*}", "\"credentials\": {}"));
        assertThat(none.services().getFirst().credentials()).isEmpty();
        assertThat(text(none.toJson())).doesNotContain("credentials");
        assertThat(none.toJson()).isEqualTo(parse(json.replaceAll("\"credentials\": \\{[^}]*},", "")).toJson());
    }

    @Test
    void fractionalSecondsSurviveTheRoundTrip() {
        Manifest manifest = new Manifest(1, 1, Instant.parse("2026-01-01T00:00:00.250Z"), "r", List.of(), List.of());
        assertThat(text(manifest.toJson())).contains("\"createdAt\": \"2026-01-01T00:00:00.250Z\"");
        assertThat(Manifest.parse(manifest.toJson())).isEqualTo(manifest);
    }

    @Test
    void emptyManifestHasEmptyListsNotMissingOnes() {
        Manifest manifest = new Manifest(1, 7, Instant.parse("2026-01-01T00:00:00Z"), "", List.of(), List.of());
        assertThat(text(manifest.toJson())).isEqualTo("""
                {
                  "version": 1,
                  "generation": 7,
                  "createdAt": "2026-01-01T00:00:00Z",
                  "reason": "",
                  "services": [],
                  "sites": []
                }
                """);
    }

    @Test
    void withServiceReplacesByNameAndKeepsServicesSorted() {
        Manifest manifest = parse(EXAMPLE);
        Manifest.Service zeta = ManifestFixtures.parseService(ManifestFixtures.service("zeta", storePath("zeta")));
        Manifest.Service alpha = ManifestFixtures.parseService(ManifestFixtures.service("alpha", storePath("alpha")));
        Manifest.Service web2 = ManifestFixtures.parseService(ManifestFixtures.service("web", storePath("web-2")));
        Manifest next = manifest.withService(zeta).withService(alpha).withService(web2);
        assertThat(next.services()).extracting(Manifest.Service::name).containsExactly("alpha", "web", "worker", "zeta");
        assertThat(next.service("web").orElseThrow().artifact().storePath()).isEqualTo(storePath("web-2"));
        assertThat(next.withoutService("zeta").services()).extracting(Manifest.Service::name)
                .containsExactly("alpha", "web", "worker");
    }

    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
