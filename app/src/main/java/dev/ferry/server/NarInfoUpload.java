package dev.ferry.server;

import dev.ferry.cache.Compression;
import dev.ferry.cache.ObjectKeys;
import dev.ferry.nix.NarInfo;
import dev.ferry.nix.NixFormatException;
import dev.ferry.nix.SecretKey;
import dev.ferry.nix.StorePath;
import io.helidon.http.Status;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * {@code PUT /cache/<hash>.narinfo}: the narinfo Nix sends after its NAR. Ferry stores it only once it has checked
 * it: its store path matches the URL, its references are already in the cache (the closure invariant; else 409), its
 * NAR is uploaded and hashes to the announced NarHash and NarSize ({@link NarCheck}; else 400). It is then signed
 * with the cache's key (signatures by other keys are kept) and stored.
 */
final class NarInfoUpload implements Handler {
    static final int MAX_SIZE = 1 << 20;
    private static final int MAX_LISTED_MISSING = 5;

    private final ServedCache cache;

    NarInfoUpload(ServedCache cache) {
        this.cache = cache;
    }

    @Override
    public void handle(ServerRequest request, ServerResponse response) {
        cache.uploads().check(request);
        String key = RequestKeys.key(request);
        String hash = NarInfoDownload.hashPart(key);
        NarInfo info = parse(UploadBodies.read(request, MAX_SIZE));
        if (!info.storePath().hashPart().equals(hash)) {
            throw Refusal.badRequest("StorePath " + info.storePath() + " does not belong at " + key);
        }
        if (!info.url().startsWith(dev.ferry.cache.BinaryCache.NAR_PREFIX) || !ObjectKeys.isValid(info.url())) {
            throw Refusal.badRequest("URL must name a NAR in this cache: nar/<file>");
        }
        Compression compression = Compression.byNixName(info.compression()).orElseThrow(() -> Refusal.badRequest(
                "Compression '" + info.compression() + "' is not supported (Ferry accepts zstd, xz and none)"));

        List<StorePath> missing = info.references().stream()
                .filter(reference -> !reference.equals(info.storePath()) && !cache.cache().hasNarInfo(reference))
                .toList();
        if (!missing.isEmpty()) {
            throw Refusal.conflict("references not in the cache yet (upload them first): "
                    + String.join(" ", missing.stream().limit(MAX_LISTED_MISSING).map(StorePath::absolute).toList())
                    + (missing.size() > MAX_LISTED_MISSING ? " and " + (missing.size() - MAX_LISTED_MISSING) + " more" : ""));
        }

        NarCheck.Checked checked = NarCheck.check(cache.storage(), info, compression);
        cache.cache().putNarInfo(sign(info, checked, cache.signingKey()));
        response.status(Status.NO_CONTENT_204).send();
    }

    private static NarInfo parse(byte[] body) {
        try {
            return NarInfo.parse(new String(body, StandardCharsets.UTF_8));
        } catch (NixFormatException e) {
            throw Refusal.badRequest(e.getMessage());
        }
    }

    /**
     * The narinfo as stored: FileHash and FileSize as checked, signed by {@code key}. Any earlier signature under the
     * same key name is dropped, so the stored narinfo carries exactly one signature of Ferry's.
     */
    static NarInfo sign(NarInfo info, NarCheck.Checked checked, SecretKey key) {
        SortedSet<String> signatures = new TreeSet<>();
        for (String signature : info.signatures()) {
            if (!signature.startsWith(key.name() + ":")) {
                signatures.add(signature);
            }
        }
        NarInfo checkedInfo = new NarInfo(info.storePath(), info.url(), info.compression(),
                Optional.of(checked.fileHash()), OptionalLong.of(checked.fileSize()), info.narHash(), info.narSize(),
                info.references(), info.deriver(), info.system(), signatures, info.ca());
        return checkedInfo.withSignature(key.sign(checkedInfo.fingerprint()));
    }
}
