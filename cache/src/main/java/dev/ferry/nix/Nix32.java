package dev.ferry.nix;

/**
 * Nix's base-32 encoding: the alphabet {@code 0123456789abcdfghijklmnpqrsvwxyz} (no e, o, u, t), least significant
 * digit last, as in {@code libutil/hash.cc}.
 */
public final class Nix32 {
    static final String ALPHABET = "0123456789abcdfghijklmnpqrsvwxyz";
    private static final byte[] DIGITS = new byte[128];

    static {
        java.util.Arrays.fill(DIGITS, (byte) -1);
        for (int i = 0; i < ALPHABET.length(); i++) {
            DIGITS[ALPHABET.charAt(i)] = (byte) i;
        }
    }

    private Nix32() {
    }

    /** Number of characters that encode {@code byteCount} bytes. */
    public static int encodedLength(int byteCount) {
        return byteCount == 0 ? 0 : (byteCount * 8 - 1) / 5 + 1;
    }

    public static String encode(byte[] bytes) {
        int length = encodedLength(bytes.length);
        char[] out = new char[length];
        int pos = 0;
        for (int n = length - 1; n >= 0; n--) {
            int b = n * 5;
            int i = b / 8;
            int j = b % 8;
            int c = (bytes[i] & 0xff) >>> j;
            if (i < bytes.length - 1) {
                c |= (bytes[i + 1] & 0xff) << (8 - j);
            }
            out[pos++] = ALPHABET.charAt(c & 0x1f);
        }
        return new String(out);
    }

    /**
     * Decodes a nix32 string into {@code byteCount} bytes.
     *
     * @throws NixFormatException on a wrong length, a character outside the alphabet, or bits past the end
     */
    public static byte[] decode(String text, int byteCount) {
        if (text.length() != encodedLength(byteCount)) {
            throw new NixFormatException("nix32 string of " + text.length() + " characters, expected "
                    + encodedLength(byteCount) + " for " + byteCount + " bytes");
        }
        byte[] out = new byte[byteCount];
        int length = text.length();
        for (int n = 0; n < length; n++) {
            char ch = text.charAt(length - n - 1);
            int digit = ch < 128 ? DIGITS[ch] : -1;
            if (digit < 0) {
                throw new NixFormatException("invalid nix32 character '" + printable(ch) + "'");
            }
            int b = n * 5;
            int i = b / 8;
            int j = b % 8;
            out[i] |= (byte) (digit << j);
            int carry = digit >>> (8 - j);
            if (i < byteCount - 1) {
                out[i + 1] |= (byte) carry;
            } else if (carry != 0) {
                throw new NixFormatException("nix32 string has bits beyond " + byteCount + " bytes");
            }
        }
        return out;
    }

    /** Whether every character is in the nix32 alphabet. */
    public static boolean isNix32(CharSequence text) {
        for (int i = 0; i < text.length(); i++) {
            char ch = text.charAt(i);
            if (ch >= 128 || DIGITS[ch] < 0) {
                return false;
            }
        }
        return true;
    }

    static String printable(char ch) {
        return ch >= 0x20 && ch < 0x7f ? String.valueOf(ch) : String.format("\\u%04x", (int) ch);
    }
}
