package dev.ferry.server;

import java.util.Optional;

/**
 * One byte range of an object, from a request's {@code Range} header (RFC 9110, section 14): what a client that lost
 * a download part-way asks for ({@code bytes=N-}), so that Nix resumes a NAR instead of failing it.
 *
 * @param first  the first byte's offset
 * @param length how many bytes, at least 1
 * @param size   the whole object's size
 */
record ByteRange(long first, long length, long size) {

    /** What a {@code Range} header asks of an object of {@code size} bytes. */
    sealed interface Answer {
    }

    /** Send the whole object with 200: a range this server does not serve (several), or one it cannot read. */
    record Whole() implements Answer {
    }

    /** Send this part with 206. */
    record Part(ByteRange range) implements Answer {
    }

    /** 416: the range starts at or after the end of the object. */
    record Unsatisfiable(long size) implements Answer {
    }

    long last() {
        return first + length - 1;
    }

    /** The {@code Content-Range} of a 206 answer. */
    String contentRange() {
        return "bytes " + first + "-" + last() + "/" + size;
    }

    /**
     * Reads {@code header} for an object of {@code size} bytes. A header that does not parse is ignored (RFC 9110:
     * "a server MAY ignore the Range header field"), as is a list of ranges, which would need a multipart answer no
     * Nix client asks for.
     */
    static Answer of(String header, long size) {
        String value = header.strip();
        int equals = value.indexOf('=');
        if (equals < 0 || !value.substring(0, equals).strip().equalsIgnoreCase("bytes")) {
            return new Whole();
        }
        String spec = value.substring(equals + 1).strip();
        int dash = spec.indexOf('-');
        if (spec.indexOf(',') >= 0 || dash < 0) {
            return new Whole();
        }
        Optional<Long> from = number(spec.substring(0, dash));
        Optional<Long> to = number(spec.substring(dash + 1));
        if (dash == 0) { // bytes=-N: the last N bytes
            if (to.isEmpty()) {
                return new Whole();
            }
            long suffix = Math.min(to.get(), size);
            return suffix == 0 ? new Unsatisfiable(size) : new Part(new ByteRange(size - suffix, suffix, size));
        }
        if (from.isEmpty() || (dash < spec.length() - 1 && (to.isEmpty() || to.get() < from.get()))) {
            return new Whole();
        }
        if (from.get() >= size) {
            return new Unsatisfiable(size);
        }
        long last = to.map(t -> Math.min(t, size - 1)).orElse(size - 1);
        return new Part(new ByteRange(from.get(), last - from.get() + 1, size));
    }

    /** A non-negative decimal (at most 18 digits: no overflow), else empty. */
    private static Optional<Long> number(String text) {
        String digits = text.strip();
        if (digits.isEmpty() || digits.length() > 18 || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return Optional.empty();
        }
        return Optional.of(Long.parseLong(digits));
    }
}
