package dev.ferry.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ferry.nix.Hash;
import dev.ferry.nix.NarDigest;
import dev.ferry.nix.NarInfo;
import dev.ferry.nix.SecretKey;
import dev.ferry.nix.StorePath;
import dev.ferry.process.Command;
import dev.ferry.process.ProcessRunner;
import dev.ferry.testkit.RequiresPrograms;
import dev.ferry.testkit.TestEnv;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeSet;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Manifests over a cache filled the real way: {@code nix-store --add} makes the store paths, {@link BinaryCache}
 * uploads their NARs and signed narinfos, and only then may a manifest name them.
 */
@RequiresPrograms({"nix-store", "nix"})
class ManifestStoreIT {
    private final ProcessRunner runner = ProcessRunner.local();

    @TempDir
    Path dir;

    /** Adds a directory with {@code bin/NAME} (a shell script) to the store; unique content, so a new path. */
    private StorePath addToStore(String name) throws Exception {
        Path tree = Files.createDirectories(dir.resolve("src-" + name).resolve(name));
        Path bin = Files.createDirectories(tree.resolve("bin"));
        Path script = Files.writeString(bin.resolve(name), "#!/bin/sh\necho " + UUID.randomUUID() + "\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("r-xr-xr-x"));
        String out = runner.run(Command.of("nix-store", "--add", tree.toString())
                .environment(TestEnv.nixEnvironment())).stdout().strip();
        return StorePath.parse(out);
    }

    /** Publishes {@code path} as Ferry's publisher will: NAR first, then the signed narinfo. */
    private void publish(BinaryCache cache, StorePath path, SecretKey key) throws Exception {
        String json = runner.run(Command.of("nix", "path-info", "--json", path.absolute())
                .environment(TestEnv.nixEnvironment())).stdout();
        JsonNode info = new ObjectMapper().readTree(json).get(0);
        Hash narHash = Hash.parse(info.get("narHash").textValue());
        long narSize = info.get("narSize").longValue();
        TreeSet<StorePath> references = new TreeSet<>();
        info.get("references").forEach(r -> references.add(StorePath.parse(r.textValue())));
        BinaryCache.UploadedNar nar = cache.uploadNar(Path.of(path.absolute()), new NarDigest(narHash, narSize),
                Compression.ZSTD, n -> { });
        NarInfo narInfo = new NarInfo(path, nar.url(), nar.compression().nixName(), Optional.of(nar.fileHash()),
                OptionalLong.of(nar.fileSize()), narHash, narSize, references, Optional.empty(), Optional.empty(),
                new TreeSet<>(), Optional.empty());
        cache.putNarInfo(narInfo.withSignature(key.sign(narInfo.fingerprint())));
    }

    @Test
    void aManifestMayNameOnlyStorePathsPublishedToTheCache() throws Exception {
        Storage storage = CacheUri.parse("file://" + dir.resolve("cache")).open();
        BinaryCache cache = new BinaryCache(storage);
        cache.ensureCacheInfo();
        SecretKey key = SecretKey.generate("ferry-it-1");
        ManifestVerifier trusted = ManifestVerifier.trusting(List.of(key.publicKey()));
        ManifestStore store = ManifestStore.create(storage);

        StorePath web = addToStore("web");
        StorePath site = addToStore("docs");
        Manifest.Service service = Manifest.Service.parse(("""
                {"name": "web", "artifact": {"storePath": "%s"}, "exec": {"command": "web"},
                 "http": {"domain": "web.example.org", "internalPort": 8080},
                 "ready": {"http": {"path": "/"}}}
                """.formatted(web)).getBytes(java.nio.charset.StandardCharsets.UTF_8), "web.json");
        Manifest.Site docs = new Manifest.Site("docs", Manifest.Artifact.nixClosure(site), List.of(),
                new Manifest.SiteHttp("docs.example.org", List.of(), "/"), false);

        assertThatThrownBy(() -> store.update(key, trusted, "deploy", m -> m.withService(service).withSite(docs)))
                .hasMessageContaining("2 store paths have no narinfo").hasMessageContaining(web.absolute())
                .hasMessageContaining(site.absolute());
        assertThat(storage.list("manifest")).isEmpty();

        publish(cache, web, key);
        assertThatThrownBy(() -> store.update(key, trusted, "deploy", m -> m.withService(service).withSite(docs)))
                .hasMessageContaining("a store path has no narinfo").hasMessageContaining(site.absolute())
                .hasMessageNotContaining(web.absolute());

        publish(cache, site, key);
        ManifestStore.Update update = store.update(key, trusted, "deploy", m -> m.withService(service).withSite(docs));
        assertThat(update.written()).isTrue();
        ManifestGeneration newest = store.newest(trusted).orElseThrow();
        assertThat(newest.generation()).isEqualTo(1);
        assertThat(newest.manifest().service("web").orElseThrow().artifact().storePath()).isEqualTo(web);
        assertThat(newest.manifest().site("docs").orElseThrow().artifact().storePath()).isEqualTo(site);
    }
}
