package dev.ferry.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.cache.CacheException;
import dev.ferry.cache.ForwardingStorage;
import dev.ferry.cache.CacheUri;
import dev.ferry.cache.Compression;
import dev.ferry.cache.Storage;
import dev.ferry.cache.StoredObject;
import dev.ferry.nix.Hash;
import dev.ferry.nix.NarInfo;
import java.io.ByteArrayInputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The {@code /cache} endpoints over HTTP, in-process, against a directory cache; no external programs. */
class CacheRoutesTest {
    @TempDir
    Path temp;

    TestServer server;

    @BeforeEach
    void start() {
        server = TestServer.start(temp.resolve("cache"));
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private HttpResponse<byte[]> upload(TestNar nar) {
        HttpResponse<byte[]> response = Http.put(server.uri("/cache/" + nar.key()), nar.file(),
                Http.bearer(TestServer.TOKEN));
        assertThat(response.statusCode()).as(Http.text(response)).isEqualTo(204);
        return Http.put(server.uri("/cache/" + nar.narInfoKey()),
                nar.info().render().getBytes(StandardCharsets.UTF_8), Http.bearer(TestServer.TOKEN));
    }

    private List<String> stored() {
        return server.storage.list("");
    }

    @Test
    void servesNixCacheInfoWithItsContentType() {
        HttpResponse<byte[]> response = Http.get(server.uri("/cache/nix-cache-info"));
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValue("text/x-nix-cache-info");
        assertThat(Http.text(response)).isEqualTo("StoreDir: /nix/store\nWantMassQuery: 1\nPriority: 40\n");
        assertThat(response.headers().firstValueAsLong("content-length")).hasValue(response.body().length);
    }

    @Test
    void headGivesTheSizeOfGetWithoutABody() {
        byte[] big = new byte[3 << 20];
        new Random(7).nextBytes(big);
        server.storage.put("nar/" + "1".repeat(52) + ".nar", big);

        HttpResponse<byte[]> head = Http.head(server.uri("/cache/nar/" + "1".repeat(52) + ".nar"));
        HttpResponse<byte[]> get = Http.get(server.uri("/cache/nar/" + "1".repeat(52) + ".nar"));

        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.body()).isEmpty();
        assertThat(head.headers().firstValueAsLong("content-length")).hasValue(big.length);
        assertThat(head.headers().firstValue("content-type")).hasValue("application/x-nix-nar");
        assertThat(get.statusCode()).isEqualTo(200);
        assertThat(get.headers().firstValueAsLong("content-length")).hasValue(big.length);
        assertThat(get.headers().firstValue("content-type")).hasValue("application/x-nix-nar");
        assertThat(get.body()).isEqualTo(big);
    }

    /** What curl does to resume a NAR download that broke off (Nix does so only where Accept-Ranges says bytes). */
    @Test
    void narsAreServedInPartOtherObjectsWhole() {
        byte[] big = new byte[3 << 20];
        new Random(8).nextBytes(big);
        String nar = "/cache/nar/" + "2".repeat(52) + ".nar.zst";
        server.storage.put(nar.substring("/cache/".length()), big);
        server.storage.put("manifest.json", "{\"generation\": 1}".getBytes(StandardCharsets.UTF_8));

        HttpResponse<byte[]> head = Http.head(server.uri(nar));
        assertThat(head.headers().firstValue("accept-ranges")).hasValue("bytes");
        HttpResponse<byte[]> rest = Http.send("GET", server.uri(nar), new byte[0], "Range", "bytes=1000000-");
        assertThat(rest.statusCode()).isEqualTo(206);
        assertThat(rest.headers().firstValue("content-range")).hasValue("bytes 1000000-" + (big.length - 1) + "/"
                + big.length);
        assertThat(rest.headers().firstValueAsLong("content-length")).hasValue(big.length - 1000000);
        assertThat(rest.headers().firstValue("content-type")).hasValue("application/x-nix-nar");
        assertThat(rest.body()).isEqualTo(java.util.Arrays.copyOfRange(big, 1000000, big.length));
        HttpResponse<byte[]> middle = Http.send("GET", server.uri(nar), new byte[0], "Range", "bytes=10-19");
        assertThat(middle.statusCode()).isEqualTo(206);
        assertThat(middle.body()).isEqualTo(java.util.Arrays.copyOfRange(big, 10, 20));

        HttpResponse<byte[]> past = Http.send("GET", server.uri(nar), new byte[0], "Range", "bytes=" + big.length + "-");
        assertThat(past.statusCode()).isEqualTo(416);
        assertThat(past.headers().firstValue("content-range")).hasValue("bytes */" + big.length);
        // Validators this server never sent cannot match: the whole NAR, as for ranges it does not serve.
        for (String[] headers : List.of(new String[] {"Range", "bytes=10-19", "If-Range", "\"x\""},
                new String[] {"Range", "bytes=0-9,20-29"}, new String[] {"Range", "lines=1-2"})) {
            HttpResponse<byte[]> whole = Http.send("GET", server.uri(nar), new byte[0], headers);
            assertThat(whole.statusCode()).isEqualTo(200);
            assertThat(whole.body()).isEqualTo(big);
        }
        assertThat(Http.send("GET", server.uri("/cache/nar/" + "3".repeat(52) + ".nar.zst"), new byte[0],
                "Range", "bytes=0-").statusCode()).isEqualTo(404);

        // manifest.json changes under its name: never in part.
        HttpResponse<byte[]> manifest = Http.send("GET", server.uri("/cache/manifest.json"), new byte[0],
                "Range", "bytes=2-");
        assertThat(manifest.statusCode()).isEqualTo(200);
        assertThat(manifest.headers().firstValue("accept-ranges")).isEmpty();
        assertThat(Http.text(manifest)).isEqualTo("{\"generation\": 1}");
    }

    @Test
    void headOverARawSocketSendsNoBody() {
        Http.RawResponse head = Http.raw(server.port(), "HEAD /cache/nix-cache-info HTTP/1.1");
        assertThat(head.status()).isEqualTo(200);
        assertThat(head.headers()).containsEntry("content-length", "51");
        assertThat(head.body()).isEmpty();
    }

    @Test
    void servesNarInfosAndOtherObjectsWithContentTypesByName() {
        TestNar nar = TestNar.create(temp, "hello", "hello", Compression.ZSTD);
        assertThat(upload(nar).statusCode()).isEqualTo(204);
        server.storage.put("manifest.json", "{}".getBytes(StandardCharsets.UTF_8));
        server.storage.put("manifests/1.json", "{\"generation\":1}".getBytes(StandardCharsets.UTF_8));

        HttpResponse<byte[]> narInfo = Http.get(server.uri("/cache/" + nar.narInfoKey()));
        assertThat(narInfo.statusCode()).isEqualTo(200);
        assertThat(narInfo.headers().firstValue("content-type")).hasValue("text/x-nix-narinfo");
        assertThat(NarInfo.parse(Http.text(narInfo)).storePath()).isEqualTo(nar.path());
        assertThat(Http.get(server.uri("/cache/manifest.json")).headers().firstValue("content-type"))
                .hasValue("application/json");
        HttpResponse<byte[]> manifest = Http.get(server.uri("/cache/manifests/1.json"));
        assertThat(Http.text(manifest)).isEqualTo("{\"generation\":1}");
        assertThat(manifest.headers().firstValueAsLong("content-length")).hasValue(16);
    }

    @ParameterizedTest
    @ValueSource(strings = {"/cache/0000000000000000000000000000000n.narinfo", "/cache/nar/" + "0000000000"
            + "0000000000000000000000000000000000000000nn.nar.zst", "/cache/manifest.json", "/cache/log/x", "/", "/x",
            "/cache"})
    void answers404ForWhatIsAbsent(String path) {
        HttpResponse<byte[]> get = Http.get(server.uri(path));
        HttpResponse<byte[]> head = Http.head(server.uri(path));
        assertThat(get.statusCode()).isEqualTo(404);
        assertThat(Http.text(get)).isEqualTo("not found\n");
        assertThat(head.statusCode()).isEqualTo(404);
        assertThat(head.body()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"abc", "0000000000000000000000000000000e", "0000000000000000000000000000000N",
            "0000000000000000000000000000000nn", "-", "nix-cache-info"})
    void answers400ForMalformedNarInfoHashes(String hash) {
        HttpResponse<byte[]> response = Http.get(server.uri("/cache/" + hash + ".narinfo"));
        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(Http.text(response)).startsWith("not a store path hash");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/cache/../nix-cache-info", "/cache/nar/../../etc/passwd", "/cache/%2e%2e/etc/passwd",
            "/cache/%2E%2E/%2e%2e/etc/passwd", "/cache/nar/..%2f..%2fetc%2fpasswd", "/cache/./nix-cache-info",
            "/cache//nix-cache-info", "/cache/nar/%2fetc%2fpasswd", "/cache/x%00y", "/../cache/nix-cache-info"})
    void answers400ForTraversalAndEncodedKeysBeforeAnyLookup(String rawPath) {
        for (String method : List.of("GET", "HEAD")) {
            Http.RawResponse response = Http.raw(server.port(), method + " " + rawPath + " HTTP/1.1");
            assertThat(response.status()).as(method + " " + rawPath).isEqualTo(400);
            assertThat(response.text()).doesNotContain("/etc", temp.toString());
        }
    }

    @Test
    void uploadsWithoutTheTokenAre401AndStoreNothing() {
        TestNar nar = TestNar.create(temp, "a", "a", Compression.ZSTD);
        for (String[] auth : List.of(new String[0], Http.bearer("wrong-token-0123456789abcdef"),
                Http.basic("", "wrong-token-0123456789abcdef"), Http.basic(TestServer.TOKEN, ""),
                new String[] {"Authorization", "Bearer"}, new String[] {"Authorization", "Basic !!!"},
                new String[] {"Authorization", "Digest " + TestServer.TOKEN})) {
            HttpResponse<byte[]> narPut = Http.put(server.uri("/cache/" + nar.key()), nar.file(), auth);
            HttpResponse<byte[]> infoPut = Http.put(server.uri("/cache/" + nar.narInfoKey()),
                    nar.info().render().getBytes(StandardCharsets.UTF_8), auth);
            for (HttpResponse<byte[]> response : List.of(narPut, infoPut)) {
                assertThat(response.statusCode()).isEqualTo(401);
                assertThat(response.headers().allValues("www-authenticate")).isNotEmpty();
                assertThat(Http.text(response)).doesNotContain(TestServer.TOKEN);
            }
        }
        assertThat(stored()).containsExactly("nix-cache-info");
    }

    @Test
    void aRefusedUploadEndsTheConnectionSoItsBodyIsNeverReadAsARequest() {
        String smuggled = "GET /cache/nix-cache-info HTTP/1.1\r\nHost: x\r\n\r\n";
        String put = "PUT /cache/nar/" + "0".repeat(52) + ".nar HTTP/1.1\r\nHost: x\r\nContent-Length: "
                + smuggled.length() + "\r\n\r\n" + smuggled;
        String all = new String(Http.exchange(server.port(), put), StandardCharsets.ISO_8859_1);
        assertThat(all).startsWith("HTTP/1.1 401 ");
        assertThat(all.split("HTTP/1.1 ", -1)).hasSize(2); // one response, then the connection ended
        assertThat(stored()).containsExactly("nix-cache-info");
    }

    @Test
    void aClientAskingForConnectionCloseGetsItAfterTheResponse() {
        String all = new String(Http.exchange(server.port(),
                "GET /cache/nix-cache-info HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), StandardCharsets.ISO_8859_1);
        assertThat(all).startsWith("HTTP/1.1 200 ").endsWith("Priority: 40\n");
    }

    @Test
    void uploadsAreForbiddenWhenNoTokenIsConfigured() {
        try (TestServer readOnly = TestServer.start(CacheUri.parse("file://" + temp.resolve("ro")).open(),
                Optional.empty(), 1 << 20)) {
            TestNar nar = TestNar.create(temp, "a", "a", Compression.ZSTD);
            HttpResponse<byte[]> response = Http.put(readOnly.uri("/cache/" + nar.key()), nar.file(),
                    Http.bearer(TestServer.TOKEN));
            assertThat(response.statusCode()).isEqualTo(403);
            assertThat(readOnly.storage.list("")).containsExactly("nix-cache-info");
        }
    }

    @Test
    void anUploadedPathIsStoredSignedByTheCacheKey() {
        TestNar nar = TestNar.create(temp, "a", "contents of a", Compression.ZSTD);
        HttpResponse<byte[]> response = upload(nar);

        assertThat(response.statusCode()).as(Http.text(response)).isEqualTo(204);
        assertThat(stored()).containsExactlyInAnyOrder("nix-cache-info", nar.key(), nar.narInfoKey());
        NarInfo stored = server.cache.narInfo(nar.path()).orElseThrow();
        assertThat(stored.signatures()).hasSize(1);
        assertThat(server.key.publicKey().verify(stored.fingerprint(), stored.signatures().first())).isTrue();
        assertThat(stored.narHash()).isEqualTo(nar.info().narHash());
        assertThat(stored.fileSize()).hasValue(nar.file().length);
    }

    @Test
    void basicAuthWithTheTokenAsPasswordIsAccepted() {
        TestNar nar = TestNar.create(temp, "a", "a", Compression.XZ);
        assertThat(Http.put(server.uri("/cache/" + nar.key()), nar.file(), Http.basic("", TestServer.TOKEN))
                .statusCode()).isEqualTo(204);
        assertThat(Http.put(server.uri("/cache/" + nar.narInfoKey()), nar.info().render().getBytes(StandardCharsets.UTF_8),
                Http.basic("anyone", TestServer.TOKEN)).statusCode()).isEqualTo(204);
        assertThat(server.cache.hasNarInfo(nar.path())).isTrue();
    }

    @Test
    void uncompressedNarsAreAcceptedToo() {
        TestNar nar = TestNar.create(temp, "a", "a", Compression.NONE);
        assertThat(upload(nar).statusCode()).isEqualTo(204);
    }

    @Test
    void keepsSignaturesOfOtherKeysAndReplacesItsOwn() {
        TestNar nar = TestNar.create(temp, "a", "a", Compression.ZSTD);
        NarInfo withSigs = nar.info().withSignature("someone-else-1:c2lnbmF0dXJl")
                .withSignature(server.key.name() + ":Zm9yZ2Vk");
        assertThat(upload(nar.withInfo(withSigs)).statusCode()).isEqualTo(204);
        NarInfo stored = server.cache.narInfo(nar.path()).orElseThrow();
        assertThat(stored.signatures()).hasSize(2).contains("someone-else-1:c2lnbmF0dXJl")
                .doesNotContain(server.key.name() + ":Zm9yZ2Vk");
    }

    @Test
    void aNarInfoWhoseNarHashDoesNotMatchItsNarIs400AndNotStored() {
        TestNar nar = TestNar.create(temp, "a", "a", Compression.ZSTD);
        TestNar other = TestNar.create(temp, "b", "b", Compression.ZSTD);
        NarInfo i = nar.info();
        NarInfo lying = new NarInfo(i.storePath(), i.url(), i.compression(), i.fileHash(), i.fileSize(),
                other.info().narHash(), i.narSize(), i.references(), i.deriver(), i.system(), i.signatures(), i.ca());

        HttpResponse<byte[]> response = upload(nar.withInfo(lying));

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(Http.text(response)).startsWith("NarHash/NarSize do not match");
        assertThat(server.cache.hasNarInfo(nar.path())).isFalse();
    }

    @Test
    void aNarInfoWhoseNarSizeOrFileHashDoesNotMatchIs400() {
        TestNar nar = TestNar.create(temp, "a", "a", Compression.ZSTD);
        NarInfo i = nar.info();
        NarInfo wrongSize = new NarInfo(i.storePath(), i.url(), i.compression(), i.fileHash(), i.fileSize(),
                i.narHash(), i.narSize() + 8, i.references(), i.deriver(), i.system(), i.signatures(), i.ca());
        NarInfo wrongFileHash = new NarInfo(i.storePath(), i.url(), i.compression(),
                Optional.of(Hash.parse("sha256:" + "0".repeat(52))), i.fileSize(), i.narHash(), i.narSize(),
                i.references(), i.deriver(), i.system(), i.signatures(), i.ca());

        assertThat(upload(nar.withInfo(wrongSize)).statusCode()).isEqualTo(400);
        NarInfo shorter = new NarInfo(i.storePath(), i.url(), i.compression(), i.fileHash(), i.fileSize(),
                i.narHash(), i.narSize() - 8, i.references(), i.deriver(), i.system(), i.signatures(), i.ca());
        HttpResponse<byte[]> tooLong = upload(nar.withInfo(shorter));
        assertThat(tooLong.statusCode()).isEqualTo(400);
        assertThat(Http.text(tooLong)).startsWith("the uploaded NAR is longer than the narinfo's NarSize "
                + (i.narSize() - 8) + "; it was not decompressed further");
        HttpResponse<byte[]> response = upload(nar.withInfo(wrongFileHash));
        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(Http.text(response)).startsWith("FileHash does not match");
        assertThat(server.cache.hasNarInfo(nar.path())).isFalse();
    }

    @Test
    void aNarThatIsNotANarIs400() {
        TestNar nar = TestNar.create(temp, "a", "a", Compression.NONE);
        byte[] garbage = "this is not a NAR at all, just some text".getBytes(StandardCharsets.UTF_8);
        TestNar bad = new TestNar(nar.path(), nar.key(), garbage, nar.info());
        HttpResponse<byte[]> response = upload(bad);
        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(Http.text(response)).startsWith("the uploaded NAR is malformed");

        TestNar zstd = TestNar.create(temp, "z", "z", Compression.ZSTD);
        HttpResponse<byte[]> notZstd = upload(new TestNar(zstd.path(), zstd.key(), garbage, zstd.info()));
        assertThat(notZstd.statusCode()).isEqualTo(400);
        assertThat(Http.text(notZstd)).startsWith("the uploaded NAR cannot be decompressed as zstd");
        assertThat(server.cache.hasNarInfo(zstd.path())).isFalse();
    }

    @Test
    void aNarInfoBeforeItsReferencesIs409AndNamesThem() {
        TestNar a = TestNar.create(temp, "a", "a", Compression.ZSTD);
        TestNar b = TestNar.create(temp, "b", "b refers to a", Compression.ZSTD, a.path());

        HttpResponse<byte[]> early = upload(b);
        assertThat(early.statusCode()).isEqualTo(409);
        assertThat(Http.text(early)).contains(a.path().absolute());
        assertThat(server.cache.hasNarInfo(b.path())).isFalse();

        assertThat(upload(a).statusCode()).isEqualTo(204);
        assertThat(upload(b).statusCode()).isEqualTo(204);
        assertThat(server.cache.narInfo(b.path()).orElseThrow().references()).containsExactly(a.path());
    }

    @Test
    void aSelfReferenceNeedsNothingElse() {
        TestNar base = TestNar.create(temp, "self", "self", Compression.ZSTD);
        NarInfo i = base.info();
        NarInfo self = new NarInfo(i.storePath(), i.url(), i.compression(), i.fileHash(), i.fileSize(), i.narHash(),
                i.narSize(), new TreeSet<>(Set.of(i.storePath())), i.deriver(), i.system(), i.signatures(), i.ca());
        assertThat(upload(base.withInfo(self)).statusCode()).isEqualTo(204);
    }

    @Test
    void aNarInfoWithoutItsNarIs409() {
        TestNar nar = TestNar.create(temp, "a", "a", Compression.ZSTD);
        HttpResponse<byte[]> response = Http.put(server.uri("/cache/" + nar.narInfoKey()),
                nar.info().render().getBytes(StandardCharsets.UTF_8), Http.bearer(TestServer.TOKEN));
        assertThat(response.statusCode()).isEqualTo(409);
        assertThat(Http.text(response)).contains("has not been uploaded");
    }

    @Test
    void malformedOrMisplacedNarInfosAre400() {
        TestNar nar = TestNar.create(temp, "a", "a", Compression.ZSTD);
        Http.put(server.uri("/cache/" + nar.key()), nar.file(), Http.bearer(TestServer.TOKEN));
        String elsewhere = TestNar.randomPath("x").hashPart() + ".narinfo";

        assertThat(Http.put(server.uri("/cache/" + nar.narInfoKey()), "StorePath: nonsense\n".getBytes(StandardCharsets.UTF_8),
                Http.bearer(TestServer.TOKEN)).statusCode()).isEqualTo(400);
        assertThat(Http.put(server.uri("/cache/" + elsewhere), nar.info().render().getBytes(StandardCharsets.UTF_8),
                Http.bearer(TestServer.TOKEN)).statusCode()).isEqualTo(400);
        String bzip2 = nar.info().render().replace("Compression: zstd", "Compression: bzip2");
        HttpResponse<byte[]> unsupported = Http.put(server.uri("/cache/" + nar.narInfoKey()),
                bzip2.getBytes(StandardCharsets.UTF_8), Http.bearer(TestServer.TOKEN));
        assertThat(unsupported.statusCode()).isEqualTo(400);
        assertThat(Http.text(unsupported)).contains("bzip2");
        String outside = nar.info().render().replace("URL: nar/", "URL: ../");
        assertThat(Http.put(server.uri("/cache/" + nar.narInfoKey()), outside.getBytes(StandardCharsets.UTF_8),
                Http.bearer(TestServer.TOKEN)).statusCode()).isEqualTo(400);
        assertThat(server.cache.hasNarInfo(nar.path())).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"nar/abc.nar", "nar/" + "0000000000000000000000000000000000000000000000000000.nar.bz2",
            "nar/sub/" + "0000000000000000000000000000000000000000000000000000.nar"})
    void narUploadsMustBeNamedAsNarFiles(String key) {
        HttpResponse<byte[]> response = Http.put(server.uri("/cache/" + key), new byte[] {1},
                Http.bearer(TestServer.TOKEN));
        assertThat(response.statusCode()).isIn(400, 405);
        assertThat(stored()).containsExactly("nix-cache-info");
    }

    @Test
    void otherUploadsAre405WithTheTokenAnd401Without() {
        assertThat(Http.put(server.uri("/cache/manifest.json"), new byte[] {1}, Http.bearer(TestServer.TOKEN))
                .statusCode()).isEqualTo(405);
        assertThat(Http.put(server.uri("/cache/manifest.json"), new byte[] {1}).statusCode()).isEqualTo(401);
        assertThat(Http.send("DELETE", server.uri("/cache/nix-cache-info"), new byte[0]).statusCode()).isEqualTo(405);
        assertThat(stored()).containsExactly("nix-cache-info");
    }

    @Test
    void aPutOfNixCacheInfoKeepsTheServersOwn() {
        server.storage.delete("nix-cache-info");
        HttpResponse<byte[]> response = Http.put(server.uri("/cache/nix-cache-info"),
                "StoreDir: /nix/store\n".getBytes(StandardCharsets.UTF_8), Http.bearer(TestServer.TOKEN));
        assertThat(response.statusCode()).isEqualTo(204);
        assertThat(Http.text(Http.get(server.uri("/cache/nix-cache-info")))).contains("WantMassQuery: 1");
        assertThat(Http.put(server.uri("/cache/nix-cache-info"), "StoreDir: /gnu/store\n".getBytes(StandardCharsets.UTF_8),
                Http.bearer(TestServer.TOKEN)).statusCode()).isEqualTo(400);
    }

    @Test
    void uploadsOverTheLimitAre413AndStoreNothing() {
        try (TestServer small = TestServer.start(CacheUri.parse("file://" + temp.resolve("small")).open(),
                Optional.of(TestServer.TOKEN), 1000)) {
            TestNar nar = TestNar.create(temp, "a", "x".repeat(5000), Compression.NONE);
            HttpResponse<byte[]> response = Http.put(small.uri("/cache/" + nar.key()), nar.file(),
                    Http.bearer(TestServer.TOKEN));
            assertThat(response.statusCode()).isEqualTo(413);
            assertThat(small.storage.list("")).containsExactly("nix-cache-info");
        }
    }

    @Test
    void storageFailuresAre500WithoutInternalDetails() {
        Storage failing = new FailingStorage(CacheUri.parse("file://" + temp.resolve("f")).open());
        try (TestServer broken = TestServer.start(failing, Optional.of(TestServer.TOKEN), 1 << 20)) {
            HttpResponse<byte[]> response = Http.get(broken.uri("/cache/manifest.json"));
            assertThat(response.statusCode()).isEqualTo(500);
            assertThat(Http.text(response)).isEqualTo("internal server error\n");
        }
    }

    @Test
    void aBodyShorterThanItsSizeIsNeverACompleteResponse() {
        Storage shortBodies = new FailingStorage(CacheUri.parse("file://" + temp.resolve("s")).open());
        try (TestServer broken = TestServer.start(shortBodies, Optional.of(TestServer.TOKEN), 1 << 20)) {
            for (String key : List.of("nar/short.nar", "nar/long.nar")) {
                Http.RawResponse response = Http.raw(broken.port(), "GET /cache/" + key + " HTTP/1.1");
                long declared = Long.parseLong(response.headers().get("content-length"));
                if (response.status() == 200) {
                    // headers were already sent: the connection ends before the promised length
                    assertThat(response.body().length).as(key).isLessThan((int) declared);
                } else {
                    // nothing was sent yet: a plain error
                    assertThat(response.status()).as(key).isEqualTo(500);
                    assertThat(response.body().length).isEqualTo((int) declared);
                }
            }
        }
    }

    /** A storage that fails to read {@code manifest.json} (naming a path) and gives short bodies for nar/short.nar and nar/long.nar. */
    private static final class FailingStorage extends ForwardingStorage {
        FailingStorage(Storage delegate) {
            super(delegate);
        }

        @Override
        public Optional<StoredObject> open(String key) {
            if (key.equals("manifest.json")) {
                throw new CacheException("reading /var/secret/place/manifest.json failed: disk on fire");
            }
            if (key.equals("nar/short.nar")) {
                return Optional.of(new StoredObject(1000, new ByteArrayInputStream(new byte[10])));
            }
            if (key.equals("nar/long.nar")) {
                return Optional.of(new StoredObject(4 << 20, new ByteArrayInputStream(new byte[1 << 20])));
            }
            return delegate.open(key);
        }
    }
}
