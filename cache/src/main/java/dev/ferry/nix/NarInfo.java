package dev.ferry.nix;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * A {@code .narinfo} file: what a binary cache knows of one store path.
 *
 * <p>{@link #parse} follows Nix's {@code NarInfo} constructor: {@code Key: value} lines, unknown keys ignored,
 * a missing {@code Compression} meaning {@code bzip2}, and an error for a missing {@code StorePath}, {@code URL} or
 * {@code NarHash}, or a zero {@code NarSize}. {@link #render} writes fields in Nix's order with {@code References:}
 * always present, so a narinfo Nix wrote re-serialises byte for byte.
 *
 * @param references base names ({@code <hash>-<name>}), kept sorted as Nix keeps them
 * @param signatures {@code keyname:base64} strings, kept sorted as Nix keeps them
 */
public record NarInfo(StorePath storePath, String url, String compression, Optional<Hash> fileHash,
                      OptionalLong fileSize, Hash narHash, long narSize, SortedSet<StorePath> references,
                      Optional<StorePath> deriver, Optional<String> system, SortedSet<String> signatures,
                      Optional<String> ca) {

    public NarInfo {
        if (url.isEmpty()) {
            throw new NixFormatException("narinfo URL is empty");
        }
        if (compression.isEmpty()) {
            throw new NixFormatException("narinfo Compression is empty");
        }
        if (narSize <= 0) {
            throw new NixFormatException("narinfo NarSize must be positive");
        }
        if (fileSize.isPresent() && fileSize.getAsLong() < 0) {
            throw new NixFormatException("narinfo FileSize is negative");
        }
        references = java.util.Collections.unmodifiableSortedSet(new TreeSet<>(references));
        signatures = java.util.Collections.unmodifiableSortedSet(new TreeSet<>(signatures));
        for (String value : values(url, compression, system.orElse(""), ca.orElse(""))) {
            if (value.indexOf('\n') >= 0) {
                throw new NixFormatException("narinfo field contains a newline");
            }
        }
        for (String signature : signatures) {
            if (signature.indexOf('\n') >= 0 || signature.indexOf(':') <= 0) {
                throw new NixFormatException("narinfo signature '" + Hash.abbreviate(signature) + "' is not keyname:base64");
            }
        }
    }

    private static List<String> values(String... values) {
        return List.of(values);
    }

    /** The same narinfo with {@code signature} added. */
    public NarInfo withSignature(String signature) {
        SortedSet<String> sigs = new TreeSet<>(signatures);
        sigs.add(signature);
        return new NarInfo(storePath, url, compression, fileHash, fileSize, narHash, narSize, references, deriver,
                system, sigs, ca);
    }

    /** The full store paths of the references, sorted, as signature fingerprints list them. */
    public List<String> referencePaths() {
        List<String> paths = new ArrayList<>(references.size());
        for (StorePath reference : references) {
            paths.add(reference.absolute());
        }
        return paths;
    }

    /** The fingerprint Nix signs: {@code 1;<path>;<narHash>;<narSize>;<references,...>}. */
    public String fingerprint() {
        return Signatures.fingerprint(storePath, narHash, narSize, references);
    }

    public static NarInfo parse(String text) {
        StorePath storePath = null;
        String url = "";
        String compression = "";
        Optional<Hash> fileHash = Optional.empty();
        OptionalLong fileSize = OptionalLong.empty();
        Hash narHash = null;
        long narSize = 0;
        SortedSet<StorePath> references = new TreeSet<>();
        boolean sawReferences = false;
        Optional<StorePath> deriver = Optional.empty();
        Optional<String> system = Optional.empty();
        SortedSet<String> signatures = new TreeSet<>();
        Optional<String> ca = Optional.empty();

        int pos = 0;
        int lineNumber = 0;
        while (pos < text.length()) {
            lineNumber++;
            int eol = text.indexOf('\n', pos);
            if (eol < 0) {
                throw corrupt(lineNumber, "line does not end with a newline");
            }
            String line = text.substring(pos, eol);
            pos = eol + 1;
            int colon = line.indexOf(": ");
            if (colon < 0) {
                throw corrupt(lineNumber, "expected 'Key: value'");
            }
            String key = line.substring(0, colon);
            String value = line.substring(colon + 2);
            try {
                switch (key) {
                    case "StorePath" -> storePath = StorePath.parse(value);
                    case "URL" -> url = value;
                    case "Compression" -> compression = value;
                    case "FileHash" -> fileHash = Optional.of(Hash.parse(value));
                    case "FileSize" -> fileSize = OptionalLong.of(parseSize(value));
                    case "NarHash" -> narHash = Hash.parse(value);
                    case "NarSize" -> narSize = parseSize(value);
                    case "References" -> {
                        if (sawReferences) {
                            throw new NixFormatException("References given twice");
                        }
                        sawReferences = true;
                        for (String reference : value.split(" ")) {
                            if (!reference.isEmpty()) {
                                references.add(StorePath.parseBaseName(reference));
                            }
                        }
                    }
                    case "Deriver" -> deriver = value.equals("unknown-deriver")
                            ? Optional.empty() : Optional.of(StorePath.parseBaseName(value));
                    case "System" -> system = Optional.of(value);
                    case "Sig" -> signatures.add(value);
                    case "CA" -> {
                        if (ca.isPresent()) {
                            throw new NixFormatException("CA given twice");
                        }
                        ca = Optional.of(value);
                    }
                    default -> {
                        // Nix ignores keys it does not know; so does Ferry.
                    }
                }
            } catch (NixFormatException e) {
                throw corrupt(lineNumber, key + ": " + e.getMessage());
            }
        }
        if (storePath == null) {
            throw corrupt(0, "StorePath is missing");
        }
        if (url.isEmpty()) {
            throw corrupt(0, "URL is missing");
        }
        if (narHash == null) {
            throw corrupt(0, "NarHash is missing");
        }
        if (narSize == 0) {
            throw corrupt(0, "NarSize is missing or zero");
        }
        if (compression.isEmpty()) {
            compression = "bzip2";
        }
        return new NarInfo(storePath, url, compression, fileHash, fileSize, narHash, narSize, references, deriver,
                system, signatures, ca);
    }

    /** The narinfo text, fields in Nix's order. */
    public String render() {
        StringBuilder sb = new StringBuilder(512);
        sb.append("StorePath: ").append(storePath.absolute()).append('\n');
        sb.append("URL: ").append(url).append('\n');
        sb.append("Compression: ").append(compression).append('\n');
        fileHash.ifPresent(h -> sb.append("FileHash: ").append(h.toNix32()).append('\n'));
        fileSize.ifPresent(s -> sb.append("FileSize: ").append(s).append('\n'));
        sb.append("NarHash: ").append(narHash.toNix32()).append('\n');
        sb.append("NarSize: ").append(narSize).append('\n');
        sb.append("References:");
        for (StorePath reference : references) {
            sb.append(' ').append(reference.baseName());
        }
        // Nix writes "References: " with the space even when the list is empty.
        if (references.isEmpty()) {
            sb.append(' ');
        }
        sb.append('\n');
        deriver.ifPresent(d -> sb.append("Deriver: ").append(d.baseName()).append('\n'));
        system.ifPresent(s -> sb.append("System: ").append(s).append('\n'));
        for (String signature : signatures) {
            sb.append("Sig: ").append(signature).append('\n');
        }
        ca.ifPresent(c -> sb.append("CA: ").append(c).append('\n'));
        return sb.toString();
    }

    private static long parseSize(String value) {
        if (value.isEmpty() || value.length() > 19 || !value.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new NixFormatException("'" + Hash.abbreviate(value) + "' is not a size");
        }
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            // 19 digits can still exceed Long.MAX_VALUE
            throw new NixFormatException("'" + value + "' is not a size (too large)");
        }
    }

    private static NixFormatException corrupt(int line, String message) {
        return new NixFormatException(line > 0
                ? "malformed narinfo, line " + line + ": " + message
                : "malformed narinfo: " + message);
    }
}
