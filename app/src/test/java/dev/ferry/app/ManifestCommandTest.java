package dev.ferry.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.cache.BinaryCache;
import dev.ferry.cache.CacheUri;
import dev.ferry.cache.Compression;
import dev.ferry.cache.Manifest;
import dev.ferry.cache.ManifestStore;
import dev.ferry.cache.ManifestVerifier;
import dev.ferry.cache.Storage;
import dev.ferry.nix.Hash;
import dev.ferry.nix.NarInfo;
import dev.ferry.nix.SecretKey;
import dev.ferry.nix.StorePath;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ferry manifest ...} run in-process through {@link Main#run}, against a directory cache. */
class ManifestCommandTest {
    @TempDir
    Path dir;

    private String cacheUri;
    private Storage storage;
    private Path secretKey;
    private Path publicKey;
    private SecretKey key;

    /** {@code ferry manifest SUBCOMMAND --cache URI [args...]}. */
    private InProcessCli.Result manifest(String subcommand, String... args) {
        List<String> all = new ArrayList<>(List.of("manifest", subcommand, "--cache", cacheUri));
        all.addAll(List.of(args));
        return InProcessCli.run(all.toArray(String[]::new));
    }

    @BeforeEach
    void setUp() throws IOException {
        Path cacheDir = dir.resolve("cache");
        cacheUri = "file://" + cacheDir;
        storage = CacheUri.parse(cacheUri).open();
        key = SecretKey.generate("cache-1");
        secretKey = Files.writeString(dir.resolve("cache.sec"), key.render());
        publicKey = Files.writeString(dir.resolve("cache.pub"), key.publicKey().render());
    }

    private static StorePath storePath(String name) throws Exception {
        byte[] digest = MessageDigest.getInstance("SHA-256").digest(name.getBytes(StandardCharsets.UTF_8));
        String nix32 = "0123456789abcdfghijklmnpqrsvwxyz";
        StringBuilder hash = new StringBuilder();
        for (int i = 0; i < 32; i++) {
            hash.append(nix32.charAt((digest[i] & 0xff) % 32));
        }
        return new StorePath(hash.toString(), name);
    }

    /** The store path {@code name}, with a narinfo (and a stand-in NAR) in the cache, as publishing would leave. */
    private StorePath published(String name) throws Exception {
        StorePath path = storePath(name);
        BinaryCache cache = new BinaryCache(storage);
        byte[] nar = ("nar of " + path).getBytes(StandardCharsets.UTF_8);
        Hash narHash = Hash.sha256(MessageDigest.getInstance("SHA-256").digest(nar));
        String url = BinaryCache.narKey(narHash, Compression.NONE);
        storage.put(url, nar);
        cache.putNarInfo(new NarInfo(path, url, "none", Optional.of(narHash), OptionalLong.of(nar.length), narHash,
                nar.length, new TreeSet<>(List.of(path)), Optional.empty(), Optional.empty(), new TreeSet<>(),
                Optional.empty()));
        return path;
    }

    private Path serviceFile(String name, StorePath path, String extra) throws IOException {
        return Files.writeString(dir.resolve(name + ".json"), """
                {"name": "%s", "artifact": {"type": "nix-closure", "storePath": "%s"},
                 "exec": {"command": "%s"}%s}
                """.formatted(name, path, name, extra));
    }

    private InProcessCli.Result setService(String name, StorePath path, String extra) throws Exception {
        return manifest("set-service", "--secret-key", secretKey.toString(), "--file",
                serviceFile(name, path, extra).toString());
    }

    private byte[] object(String key) throws IOException {
        return Files.readAllBytes(Path.of(cacheUri.substring("file://".length())).resolve(key));
    }

    @Test
    void setServiceWritesGenerationsThatShowAndHistoryList() throws Exception {
        StorePath web = published("web-1");
        StorePath worker = published("worker-1");
        InProcessCli.Result first = setService("web", web, ", \"http\": {\"domain\": \"example.org\", \"internalPort\": 8000}");
        assertThat(first.exit()).as(first.err()).isZero();
        assertThat(first.out()).isEqualTo("wrote generation 1: set service web\n");
        assertThat(setService("worker", worker, "").out()).isEqualTo("wrote generation 2: set service worker\n");
        assertThat(setService("worker", worker, "").out())
                .isEqualTo("no change: generation 2 already deploys exactly this\n");

        InProcessCli.Result show = manifest("show");
        assertThat(show.exit()).isZero();
        assertThat(show.out().getBytes(StandardCharsets.UTF_8)).isEqualTo(object("manifests/manifest-2.json"));
        assertThat(show.err()).isEqualTo("generation 2: signature not verified (give --trusted-key)\n");
        InProcessCli.Result showOne = manifest("show", "--generation", "1", "--trusted-key", publicKey.toString());
        assertThat(showOne.out().getBytes(StandardCharsets.UTF_8)).isEqualTo(object("manifests/manifest-1.json"));
        assertThat(showOne.err()).isEqualTo("generation 1: signature by 'cache-1' verified\n");

        InProcessCli.Result history = manifest("history");
        assertThat(history.exit()).isZero();
        assertThat(history.out().lines().toList()).hasSize(3);
        assertThat(history.out().lines().toList().get(0)).startsWith("GEN").contains("CREATED", "SERVICES", "SITES", "REASON");
        assertThat(history.out().lines().toList().get(1)).matches("1 +\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ +1 +0  set service web");
        assertThat(history.out().lines().toList().get(2)).matches("2 +\\S+ +2 +0  set service worker");
    }

    @Test
    void removeServiceDiffAndRollback() throws Exception {
        StorePath web1 = published("web-1");
        StorePath web2 = published("web-2");
        StorePath worker = published("worker-1");
        setService("web", web1, "");
        setService("worker", worker, "");
        setService("web", web2, ", \"env\": {\"PORT\": \"8000\"}");
        InProcessCli.Result remove = manifest("remove-service", "worker", "--secret-key", secretKey.toString(), "--reason", "retire");
        assertThat(remove.out()).isEqualTo("wrote generation 4: retire\n");

        InProcessCli.Result diff = manifest("diff", "2", "4", "--trusted-key", key.publicKey().render());
        assertThat(diff.exit()).as(diff.err()).isZero();
        assertThat(diff.out()).isEqualTo("""
                generation 2 -> 4
                services:
                  ~ web
                      artifact.storePath: "%s" -> "%s"
                      env.PORT: (absent) -> "8000"
                  - worker
                """.formatted(web1, web2));

        InProcessCli.Result rollback = manifest("rollback", "--to", "2", "--secret-key", secretKey.toString());
        assertThat(rollback.out()).isEqualTo("wrote generation 5: rollback to 2\n");
        assertThat(manifest("diff", "2", "5").out()).isEqualTo("generation 2 -> 5\nno differences in services or sites\n");
        assertThat(manifest("history").out()).contains("rollback to 2");

        InProcessCli.Result missing = manifest("remove-service", "nope", "--secret-key", secretKey.toString());
        assertThat(missing.exit()).isEqualTo(1);
        assertThat(missing.err()).isEqualTo("ferry: generation 5 has no service or site named 'nope'\n");
    }

    @Test
    void removeServiceRemovesASiteOfThatNameToo() throws Exception {
        StorePath web = published("web-1");
        StorePath docs = published("docs-1");
        setService("hello2-pr-3-web", web, "");
        ManifestStore.create(storage).update(key, ManifestVerifier.trusting(List.of(key.publicKey())),
                "build 7: hello2-pr-3", m -> m.withSite(new Manifest.Site("hello2-pr-3-docs",
                        Manifest.Artifact.nixClosure(docs), List.of(), new Manifest.SiteHttp(
                                "hello2-pr-3-docs.ferry.example.org", List.of(), "/"), false)));

        InProcessCli.Result site = manifest("remove-service", "hello2-pr-3-docs", "--secret-key",
                secretKey.toString());
        assertThat(site.exit()).as(site.err()).isZero();
        assertThat(site.out()).isEqualTo("wrote generation 3: remove site hello2-pr-3-docs\n");
        Manifest after = ManifestStore.create(storage).newest().orElseThrow().manifest();
        assertThat(after.sites()).isEmpty();
        assertThat(after.services()).extracting(Manifest.Service::name).containsExactly("hello2-pr-3-web");
        assertThat(manifest("remove-service", "hello2-pr-3-web", "--secret-key", secretKey.toString()).out())
                .isEqualTo("wrote generation 4: remove service hello2-pr-3-web\n");
        assertThat(ManifestStore.create(storage).newest().orElseThrow().manifest().services()).isEmpty();

        InProcessCli.Result again = manifest("remove-service", "hello2-pr-3-docs", "--secret-key",
                secretKey.toString());
        assertThat(again.exit()).isEqualTo(1);
        assertThat(again.err()).isEqualTo("ferry: generation 4 has no service or site named 'hello2-pr-3-docs'\n");
        assertThat(InProcessCli.run("manifest", "remove-service", "--help").out())
                .contains("Remove the service or site NAME in a new generation.");
    }

    @Test
    void invalidServiceFilesAreRefusedNamingTheFieldAndNothingIsWritten() throws Exception {
        Path file = Files.writeString(dir.resolve("bad.json"), """
                {"name": "Web", "artifact": {"storePath": "/opt/web"}, "exec": {"command": "web"},
                 "env": {"port": "8000"}}
                """);
        InProcessCli.Result result = manifest("set-service", "--secret-key", secretKey.toString(), "--file", file.toString());
        assertThat(result.exit()).isEqualTo(1);
        assertThat(result.err()).isEqualTo("ferry: service in " + file + " is invalid (3 problems):\n"
                + "  name: 'Web' must match [a-z0-9][a-z0-9-]* (at most 63 characters)\n"
                + "  artifact.storePath: not a store path: path '/opt/web' is not in /nix/store\n"
                + "  env: variable name 'port' must match [A-Z_][A-Z0-9_]*\n");
        assertThat(storage.list("manifest")).isEmpty();
    }

    @Test
    void aStorePathMissingFromTheCacheIsRefused() throws Exception {
        StorePath web = storePath("web-1");
        InProcessCli.Result result = setService("web", web, "");
        assertThat(result.exit()).isEqualTo(1);
        assertThat(result.err()).isEqualTo("ferry: refusing to write generation 1: a store path has no narinfo in "
                + storage.uri() + " (publish the closures first): " + web + " (services[0] web)\n");
        assertThat(storage.list("manifest")).isEmpty();
    }

    @Test
    void verifyChecksSignaturesAndNamesWhatIsWrong() throws Exception {
        StorePath web = published("web-1");
        setService("web", web, "");
        setService("web", web, ", \"revision\": \"r2\"");

        InProcessCli.Result ok = manifest("verify", "--trusted-key", publicKey.toString());
        assertThat(ok.exit()).as(ok.err()).isZero();
        assertThat(ok.err()).as("the answer is said once, on stdout").isEmpty();
        assertThat(ok.out()).isEqualTo("generation 2: ok, signed by cache-1\n");
        assertThat(manifest("verify", "--all", "--trusted-key", key.publicKey().render()).out())
                .isEqualTo("generation 1: ok, signed by cache-1\ngeneration 2: ok, signed by cache-1\n");

        String stranger = SecretKey.generate("stranger-1").publicKey().render();
        InProcessCli.Result untrusted = manifest("verify", "--generation", "1", "--trusted-key", stranger);
        assertThat(untrusted.exit()).isEqualTo(1);
        assertThat(untrusted.err()).isEqualTo("ferry: manifests/manifest-1.json is signed by key 'cache-1', which is "
                + "not trusted (trusted: stranger-1)\n");

        byte[] json = object("manifests/manifest-1.json");
        json[json.length - 4] ^= 0x01;
        storage.put("manifests/manifest-1.json", json);
        InProcessCli.Result tampered = manifest("verify", "--all", "--trusted-key", publicKey.toString());
        assertThat(tampered.exit()).isEqualTo(1);
        assertThat(tampered.out()).startsWith("generation 1: FAILED: manifests/manifest-1.json does not match its "
                + "signature by 'cache-1'").endsWith("generation 2: ok, signed by cache-1\n");
        assertThat(tampered.err()).isEqualTo("ferry: 1 of 2 generations failed verification\n");
        assertThat(manifest("show", "--generation", "1", "--trusted-key", publicKey.toString()).exit()).isEqualTo(1);

        storage.delete("manifests/manifest-2.json.sig");
        InProcessCli.Result unsigned = manifest("show");
        assertThat(unsigned.exit()).isEqualTo(1);
        assertThat(unsigned.err()).isEqualTo("ferry: manifests/manifest-2.json in " + storage.uri()
                + " is unsigned: manifests/manifest-2.json.sig does not exist\n");
    }

    @Test
    void trustedKeysAreCheckedAsKeysOrFiles() {
        InProcessCli.Result result = manifest("verify", "--trusted-key", "cache-1:AAAA");
        assertThat(result.exit()).isEqualTo(1);
        assertThat(result.err()).isEqualTo("ferry: --trusted-key 'cache-1:AAAA' is neither a public key (public key "
                + "'cache-1' has 3 bytes, expected 32) nor a file\n");
    }

    @Test
    void emptyCachesAndMissingOptionsAreClear() {
        InProcessCli.Result show = manifest("show");
        assertThat(show.exit()).isEqualTo(1);
        assertThat(show.err()).isEqualTo("ferry: no manifest generation in " + storage.uri() + " yet\n");
        assertThat(manifest("history").out()).isEqualTo("no manifest generation in " + storage.uri() + " yet\n");
        InProcessCli.Result mistyped = InProcessCli.run("manifest", "history", "--cache", "file://" + dir.resolve("cahce"));
        assertThat(mistyped.exit()).isEqualTo(1);
        assertThat(mistyped.err()).isEqualTo("ferry: no cache at file://" + dir.resolve("cahce") + ": the directory "
                + dir.resolve("cahce") + " does not exist\n");
        assertThat(dir.resolve("cahce")).doesNotExist();
        InProcessCli.Result noKey = manifest("rollback", "--to", "1");
        assertThat(noKey.exit()).isEqualTo(2);
        assertThat(noKey.err()).startsWith("Missing required option: '--secret-key=FILE'");
        InProcessCli.Result missingFile = manifest("rollback", "--to", "1", "--secret-key", dir.resolve("nope").toString());
        assertThat(missingFile.exit()).isEqualTo(1);
        assertThat(missingFile.err()).isEqualTo("ferry: cannot read the secret key " + dir.resolve("nope")
                + ": no such file or directory\n");
        InProcessCli.Result rollbackNothing = manifest("rollback", "--to", "3", "--secret-key", secretKey.toString());
        assertThat(rollbackNothing.err()).isEqualTo("ferry: cannot roll back to generation 3: it does not exist in "
                + storage.uri() + "\n");
    }

    @Test
    void helpListsTheSubcommands() {
        assertThat(InProcessCli.run("--help").out()).contains("manifest");
        assertThat(InProcessCli.run("manifest", "--help").out()).contains("show", "history", "diff", "rollback", "set-service",
                "remove-service", "verify");
    }
}
