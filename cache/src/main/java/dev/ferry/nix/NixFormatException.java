package dev.ferry.nix;

/**
 * Input that does not follow one of Nix's formats: a NAR, a hash, a store path, a narinfo, a key or a signature.
 * The message names the problem (and, for NARs, the byte offset), never anything secret.
 */
public class NixFormatException extends RuntimeException {
    public NixFormatException(String message) {
        super(message);
    }

    public NixFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
