package dev.ferry.nix;

/**
 * A store path {@code /nix/store/<hash>-<name>}: a 32-character nix32 hash part (20 bytes) and a name of at most 211
 * characters from {@code [A-Za-z0-9+-._?=]}, not {@code .} or {@code ..} and not starting with {@code .-} or
 * {@code ..-} (Nix's {@code checkName}). Ferry assumes the default store directory.
 */
public record StorePath(String hashPart, String name) implements Comparable<StorePath> {
    public static final String STORE_DIR = "/nix/store";
    public static final int HASH_LENGTH = 32;
    public static final int MAX_NAME_LENGTH = 211;

    public StorePath {
        if (hashPart.length() != HASH_LENGTH || !Nix32.isNix32(hashPart)) {
            throw new NixFormatException("store path hash part '" + Hash.abbreviate(hashPart)
                    + "' is not " + HASH_LENGTH + " nix32 characters");
        }
        checkName(name);
    }

    /** Parses {@code /nix/store/<hash>-<name>}. */
    public static StorePath parse(String path) {
        String prefix = STORE_DIR + "/";
        if (!path.startsWith(prefix)) {
            throw new NixFormatException("path '" + Hash.abbreviate(path) + "' is not in " + STORE_DIR);
        }
        return parseBaseName(path.substring(prefix.length()));
    }

    /** Parses {@code <hash>-<name>}, the form narinfo {@code References:} use. */
    public static StorePath parseBaseName(String baseName) {
        if (baseName.length() < HASH_LENGTH + 2 || baseName.charAt(HASH_LENGTH) != '-') {
            throw new NixFormatException("'" + Hash.abbreviate(baseName) + "' is not a store path base name <hash>-<name>");
        }
        return new StorePath(baseName.substring(0, HASH_LENGTH), baseName.substring(HASH_LENGTH + 1));
    }

    /** Whether {@code text} is a valid 32-character hash part (for validating request paths before any lookup). */
    public static boolean isHashPart(String text) {
        return text.length() == HASH_LENGTH && Nix32.isNix32(text);
    }

    static void checkName(String name) {
        if (name.isEmpty()) {
            throw new NixFormatException("store path name is empty");
        }
        if (name.length() > MAX_NAME_LENGTH) {
            throw new NixFormatException("store path name is longer than " + MAX_NAME_LENGTH + " characters");
        }
        if (name.equals(".") || name.equals("..") || name.startsWith(".-") || name.startsWith("..-")) {
            throw new NixFormatException("store path name '" + name + "' is not allowed");
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
                    || c == '+' || c == '-' || c == '.' || c == '_' || c == '?' || c == '=';
            if (!ok) {
                throw new NixFormatException("store path name '" + Hash.abbreviate(name)
                        + "' contains illegal character '" + Nix32.printable(c) + "'");
            }
        }
    }

    /** {@code <hash>-<name>}. */
    public String baseName() {
        return hashPart + "-" + name;
    }

    /** {@code /nix/store/<hash>-<name>}. */
    public String absolute() {
        return STORE_DIR + "/" + baseName();
    }

    @Override
    public String toString() {
        return absolute();
    }

    /** Nix orders store paths by base name. */
    @Override
    public int compareTo(StorePath other) {
        return baseName().compareTo(other.baseName());
    }
}
