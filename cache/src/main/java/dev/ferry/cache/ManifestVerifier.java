package dev.ferry.cache;

import dev.ferry.nix.PublicKey;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Checks a manifest's detached signature ({@code keyname:base64}, ed25519 over the exact bytes of the JSON) against a
 * set of trusted public keys, as Nix checks narinfo signatures against {@code trusted-public-keys}.
 *
 * <p>Every trusted key with the signature's key name is tried, without stopping at the first match, so the work does
 * not depend on which key matched. The ed25519 verification itself is BouncyCastle's; it handles only public data
 * (key, message, signature), so its timing reveals nothing secret.
 */
public final class ManifestVerifier {
    private final List<PublicKey> keys;

    private ManifestVerifier(List<PublicKey> keys) {
        this.keys = keys;
    }

    /**
     * The keys a server's own generations may be signed by: {@code also} (the keys before a rotation, from
     * {@code ferry.cache.trusted-keys}) and its signing key's public half {@code own}.
     */
    public static List<PublicKey> withOwnKey(Collection<PublicKey> also, PublicKey own) {
        return java.util.stream.Stream.concat(also.stream(), java.util.stream.Stream.of(own)).distinct().toList();
    }

    public static ManifestVerifier trusting(Collection<PublicKey> keys) {
        if (keys.isEmpty()) {
            throw new ManifestException("no trusted public key given: manifests cannot be verified without one");
        }
        return new ManifestVerifier(List.copyOf(keys.stream().distinct().toList()));
    }

    public List<PublicKey> keys() {
        return keys;
    }

    /** Verifies a stored generation; returns the trusted key that signed it. */
    public PublicKey verify(ManifestGeneration generation) {
        return verify("generation " + generation.generation(), generation.json(), generation.signature());
    }

    /**
     * Verifies {@code json} (named {@code what} in errors) against its detached {@code signature}.
     *
     * @return the trusted key that made the signature
     * @throws ManifestSignatureException if the signature is malformed, by an untrusted key, or not over these bytes
     */
    public PublicKey verify(String what, byte[] json, byte[] signature) {
        String text;
        try {
            text = ManifestJson.decode(json);
        } catch (CharacterCodingException e) {
            throw new ManifestSignatureException(what + " is not valid UTF-8, so it is not what was signed "
                    + "(it was changed after signing)");
        }
        if (!Arrays.equals(text.getBytes(StandardCharsets.UTF_8), json)) {
            throw new ManifestSignatureException(what + " does not re-encode to the same bytes; refusing it");
        }
        return verify(what, text, new String(signature, StandardCharsets.UTF_8));
    }

    /** As {@link #verify(String, byte[], byte[])}, for JSON already decoded strictly from its bytes. */
    public PublicKey verify(String what, String json, String signature) {
        String sig = signature.strip();
        int colon = sig.indexOf(':');
        if (sig.isEmpty()) {
            throw new ManifestSignatureException(what + " is unsigned: its signature is empty");
        }
        if (colon <= 0 || colon == sig.length() - 1 || sig.indexOf('\n') >= 0) {
            throw new ManifestSignatureException(what + " has a malformed signature (expected keyname:base64)");
        }
        String keyName = sig.substring(0, colon);
        Optional<PublicKey> matched = Optional.empty();
        boolean nameTrusted = false;
        for (PublicKey key : keys) {
            if (key.name().equals(keyName)) {
                nameTrusted = true;
                boolean valid = key.verify(json, sig);
                if (valid && matched.isEmpty()) {
                    matched = Optional.of(key);
                }
            }
        }
        if (matched.isPresent()) {
            return matched.get();
        }
        if (!nameTrusted) {
            throw new ManifestSignatureException(what + " is signed by key '" + ManifestRules.printable(keyName)
                    + "', which is not trusted (trusted: " + names() + ")");
        }
        throw new ManifestSignatureException(what + " does not match its signature by '" + keyName + "': it was "
                + "changed after signing, or the signature belongs to other content");
    }

    private String names() {
        return keys.stream().map(PublicKey::name).distinct().collect(Collectors.joining(", "));
    }
}
