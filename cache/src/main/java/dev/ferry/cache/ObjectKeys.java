package dev.ferry.cache;

/**
 * The rule for object keys in a cache's storage: segments separated by {@code /}, each of
 * {@code [A-Za-z0-9._+-]}, none empty, {@code .} or {@code ..}, at most 512 characters in all. Every key is
 * checked before any storage call, so a key can never name something outside the cache.
 */
public final class ObjectKeys {
    public static final int MAX_LENGTH = 512;

    private ObjectKeys() {
    }

    public static String check(String key) {
        if (key.isEmpty() || key.length() > MAX_LENGTH) {
            throw new InvalidKeyException("object key must be 1 to " + MAX_LENGTH + " characters");
        }
        for (String segment : key.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                throw new InvalidKeyException("object key '" + printable(key) + "' has an empty, '.' or '..' segment");
            }
            for (int i = 0; i < segment.length(); i++) {
                char c = segment.charAt(i);
                boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                        || c == '.' || c == '_' || c == '-' || c == '+';
                if (!ok) {
                    throw new InvalidKeyException("object key '" + printable(key) + "' contains '"
                            + printable(String.valueOf(c)) + "'");
                }
            }
        }
        return key;
    }

    public static boolean isValid(String key) {
        try {
            check(key);
            return true;
        } catch (InvalidKeyException e) {
            return false;
        }
    }

    private static String printable(String s) {
        StringBuilder sb = new StringBuilder();
        s.codePoints().limit(100).forEach(c -> sb.append(c >= 0x20 && c < 0x7f ? Character.toString(c)
                : String.format("\\u%04x", c)));
        return sb.toString();
    }
}
