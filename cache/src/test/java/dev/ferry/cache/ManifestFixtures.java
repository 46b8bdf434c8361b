package dev.ferry.cache;

import dev.ferry.nix.Hash;
import dev.ferry.nix.NarInfo;
import dev.ferry.nix.StorePath;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeSet;

/** Store paths, service JSON and narinfos for manifest tests. */
final class ManifestFixtures {
    private static final String NIX32 = "0123456789abcdfghijklmnpqrsvwxyz";

    private ManifestFixtures() {
    }

    /** A valid store path whose hash part is derived from {@code name}. */
    static StorePath storePath(String name) {
        byte[] digest = sha256(name);
        StringBuilder hash = new StringBuilder();
        for (int i = 0; i < StorePath.HASH_LENGTH; i++) {
            hash.append(NIX32.charAt((digest[i] & 0xff) % 32));
        }
        return new StorePath(hash.toString(), name);
    }

    /** The example manifest of docs/manifest.md, in spirit: one full service, one minimal service, one site. */
    static final String EXAMPLE = """
            {
              "version": 1,
              "generation": 3,
              "createdAt": "2026-11-23T12:34:56Z",
              "reason": "deploy web abc123def",
              "services": [
                {
                  "name": "web",
                  "artifact": {"type": "nix-closure", "storePath": "%s"},
                  "hosts": ["biz"],
                  "exec": {"command": "web", "args": ["--port", "8000"], "user": "web", "group": "web"},
                  "env": {"PORT": "8000", "BASE_URL": "https://example.org"},
                  "envFile": "/var/lib/ferry-secrets/web.env",
                  "http": {"domain": "example.org", "path": "/", "internalPort": 8000},
                  "ready": {"http": {"path": "/healthz", "timeoutSeconds": 30}},
                  "systemd": {"after": ["network-online.target"], "requires": [], "restart": "on-failure", "restartSec": 5},
                  "hardening": {"dynamicUser": false, "privateTmp": true, "protectSystem": "strict", "protectHome": true},
                  "revision": "abc123def"
                },
                {
                  "name": "worker",
                  "artifact": {"type": "nix-closure", "storePath": "%s"},
                  "exec": {"command": "worker"}
                }
              ],
              "sites": [
                {
                  "name": "docs",
                  "artifact": {"type": "nix-closure", "storePath": "%s"},
                  "http": {"domain": "docs.example.org"},
                  "spa": true
                }
              ]
            }
            """.formatted(storePath("web-1.2.3"), storePath("worker-1.2.3"), storePath("docs"));

    static String service(String name, StorePath path) {
        return """
                {"name": "%s", "artifact": {"type": "nix-closure", "storePath": "%s"}, "exec": {"command": "%s"}}
                """.formatted(name, path, name);
    }

    static String service(String name, StorePath path, String domain, int port) {
        return """
                {"name": "%s", "artifact": {"type": "nix-closure", "storePath": "%s"}, "exec": {"command": "%s"},
                 "http": {"domain": "%s", "internalPort": %d}}
                """.formatted(name, path, name, domain, port);
    }

    static Manifest.Service parseService(String json) {
        return Manifest.Service.parse(json.getBytes(StandardCharsets.UTF_8), "test");
    }

    static Manifest parse(String json) {
        return Manifest.parse(json.getBytes(StandardCharsets.UTF_8));
    }

    /** Makes the cache claim to hold {@code path}: a narinfo (and a stand-in NAR) as the publisher would write. */
    static void publish(BinaryCache cache, StorePath path) {
        byte[] nar = ("nar of " + path).getBytes(StandardCharsets.UTF_8);
        Hash narHash = Hash.sha256(sha256Bytes(nar));
        String url = BinaryCache.narKey(narHash, Compression.NONE);
        cache.storage().put(url, nar);
        cache.putNarInfo(new NarInfo(path, url, "none", Optional.of(narHash), OptionalLong.of(nar.length), narHash,
                nar.length, new TreeSet<>(List.of(path)), Optional.empty(), Optional.empty(), new TreeSet<>(),
                Optional.empty()));
    }

    private static byte[] sha256(String text) {
        return sha256Bytes(text.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] sha256Bytes(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
