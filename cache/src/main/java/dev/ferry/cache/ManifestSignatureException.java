package dev.ferry.cache;

/** A manifest is unsigned, signed by a key that is not trusted, or does not match its signature. */
public class ManifestSignatureException extends ManifestException {
    public ManifestSignatureException(String message) {
        super(message);
    }
}
