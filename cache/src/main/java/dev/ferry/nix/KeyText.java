package dev.ferry.nix;

import java.util.Base64;

/** The {@code name:base64} text shared by Nix's key files and signatures. */
record KeyText(String name, byte[] bytes) {

    static KeyText parse(String text, String what, int expectedBytes) {
        String trimmed = text.strip();
        int colon = trimmed.indexOf(':');
        if (colon < 0 || colon == trimmed.length() - 1) {
            throw new NixFormatException(what + " is not of the form name:base64");
        }
        String name = checkName(trimmed.substring(0, colon), what);
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(trimmed.substring(colon + 1));
        } catch (IllegalArgumentException e) {
            throw new NixFormatException(what + " '" + name + "' is not valid base64");
        }
        if (bytes.length != expectedBytes) {
            throw new NixFormatException(what + " '" + name + "' has " + bytes.length + " bytes, expected "
                    + expectedBytes);
        }
        return new KeyText(name, bytes);
    }

    /** A key name: printable ASCII without spaces or colons (it ends up in {@code name:base64} and in narinfo lines). */
    static String checkName(String name, String what) {
        if (name.isEmpty()) {
            throw new NixFormatException(what + " has an empty name");
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c <= 0x20 || c >= 0x7f || c == ':') {
                throw new NixFormatException(what + " name '" + Hash.abbreviate(name)
                        + "' has a space, colon or control character");
            }
        }
        return name;
    }

    static String render(String name, byte[] bytes) {
        return name + ":" + Base64.getEncoder().encodeToString(bytes);
    }
}
