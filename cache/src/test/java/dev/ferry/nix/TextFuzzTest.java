package dev.ferry.nix;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

/**
 * Random and mutated text for the text parsers (narinfo, hashes, store paths, keys): each returns normally or throws
 * {@link NixFormatException}, nothing else; and what parses renders to text that parses to the same value.
 */
class TextFuzzTest {
    /** Snippets that matter to the parsers, spliced into otherwise valid text. */
    private static final List<String> SNIPPETS = List.of("\n", ": ", ":", " ", "-", "sha256:", "sha256-", "sha512:",
            "md5:", "/nix/store/", "9999999999999999999", "99999999999999999999", "0", "-1", "=", "==", "+", "/",
            "References: ", "StorePath: ", "NarSize: ", "NarHash: ", "Sig: ", "CA: ", "Deriver: ", "unknown-deriver",
            "e", "o", "u", "t", "\u00e4", "\u0000", "\r", "\uffff", "\ud800");

    @Property(tries = 1000)
    void narinfoParseOnlyThrowsNixFormatException(@ForAll("narinfos") String text) {
        Optional<NarInfo> info = parseOrReject(text, NarInfo::parse);
        info.ifPresent(i -> assertThat(NarInfo.parse(i.render())).isEqualTo(i));
    }

    @Property(tries = 1000)
    void hashParseOnlyThrowsNixFormatException(@ForAll("hashes") String text) {
        parseOrReject(text, Hash::parse).ifPresent(hash -> {
            assertThat(Hash.parse(hash.toNix32())).isEqualTo(hash);
            assertThat(Hash.parse(hash.toBase16())).isEqualTo(hash);
            assertThat(Hash.parse(hash.toSri())).isEqualTo(hash);
        });
    }

    @Property(tries = 1000)
    void storePathParseOnlyThrowsNixFormatException(@ForAll("storePaths") String text) {
        parseOrReject(text, StorePath::parse).ifPresent(path -> assertThat(path.absolute()).isEqualTo(text));
    }

    @Property(tries = 500)
    void keyParseOnlyThrowsNixFormatException(@ForAll("keys") String text) {
        parseOrReject(text, PublicKey::parse).ifPresent(key -> assertThat(PublicKey.parse(key.render())).isEqualTo(key));
        parseOrReject(text, SecretKey::parse).ifPresent(key -> assertThat(SecretKey.parse(key.render()).render())
                .isEqualTo(key.render()));
    }

    private static <T> Optional<T> parseOrReject(String text, Function<String, T> parser) {
        try {
            return Optional.of(parser.apply(text));
        } catch (NixFormatException e) {
            assertThat(e.getMessage()).isNotBlank();
            return Optional.empty();
        }
    }

    @Provide
    Arbitrary<String> narinfos() {
        return Arbitraries.oneOf(
                mutated(Arbitraries.of(NarInfoTest.REF_DEMO, NarInfoTest.DEMO)),
                withValuesReplaced(NarInfoTest.REF_DEMO),
                withValuesReplaced(NarInfoTest.DEMO),
                Arbitraries.strings().withChars("SUNRCFDtorePahLRLmpeszHhfik: \n0123456789abcdfgz/-.").ofMaxLength(300),
                Arbitraries.strings().ofMaxLength(200));
    }

    @Provide
    Arbitrary<String> hashes() {
        return Arbitraries.oneOf(
                mutated(Arbitraries.of(HashTest.NIX32, HashTest.BASE16, HashTest.BASE64, HashTest.SRI,
                        "md5:4jqlbi14cxf6wpcajbphm40hax", "sha1:9m1skbnr5i43n3yypvda5s65vhfwdx5a")),
                Arbitraries.strings().withChars("sha256:-0123456789abcdefgz+/=").ofMaxLength(100),
                Arbitraries.strings().ofMaxLength(100));
    }

    @Provide
    Arbitrary<String> storePaths() {
        return Arbitraries.oneOf(
                mutated(Arbitraries.of(StorePathTest.DEMO, StorePathTest.DRV)),
                Arbitraries.strings().withChars("/nix/store-0123456789abcdfgz.").ofMaxLength(80),
                Arbitraries.strings().ofMaxLength(80));
    }

    @Provide
    Arbitrary<String> keys() {
        return Arbitraries.oneOf(
                mutated(Arbitraries.of(KeysTest.NIX_PUBLIC, KeysTest.NIX_SECRET)),
                Arbitraries.strings().withChars("ab-1:ABCxyz+/=").ofMaxLength(100),
                Arbitraries.strings().ofMaxLength(100));
    }

    /** The lines of {@code narinfo}, each kept or (one in four) given a value from {@link #values()}. */
    private static Arbitrary<String> withValuesReplaced(String narinfo) {
        List<Arbitrary<String>> lines = narinfo.lines().map(line -> {
            String key = line.substring(0, line.indexOf(": ") + 2);
            return Arbitraries.frequencyOf(
                    Tuple.of(3, Arbitraries.just(line + "\n")),
                    Tuple.of(1, values().map(value -> key + value + "\n")));
        }).toList();
        return Combinators.combine(lines).as(parts -> String.join("", parts));
    }

    /** Field values near the edges: sizes around Long.MAX_VALUE, digit strings, snippets, anything. */
    private static Arbitrary<String> values() {
        BigInteger max = BigInteger.valueOf(Long.MAX_VALUE);
        return Arbitraries.oneOf(
                Arbitraries.of(SNIPPETS),
                Arbitraries.strings().numeric().ofMinLength(1).ofMaxLength(21),
                Arbitraries.longs().between(-10, 10).map(d -> max.add(BigInteger.valueOf(d)).toString()),
                Arbitraries.strings().ofMaxLength(20));
    }

    /** {@code base} with one to four edits: deletions, insertions of snippets or random text, duplications. */
    private static Arbitrary<String> mutated(Arbitrary<String> base) {
        Arbitrary<Integer> position = Arbitraries.integers().between(0, Integer.MAX_VALUE);
        Arbitrary<String> insert = Arbitraries.oneOf(Arbitraries.of(SNIPPETS), Arbitraries.strings().ofMinLength(1).ofMaxLength(8));
        Arbitrary<Function<String, String>> edit = Arbitraries.oneOf(
                Combinators.combine(position, Arbitraries.integers().between(1, 30)).as((at, n) -> s -> {
                    int from = at % (s.length() + 1);
                    return s.substring(0, from) + s.substring(Math.min(s.length(), from + n));
                }),
                Combinators.combine(position, insert).as((at, snippet) -> s -> {
                    int from = at % (s.length() + 1);
                    return s.substring(0, from) + snippet + s.substring(from);
                }),
                Combinators.combine(position, Arbitraries.integers().between(1, 80), position).as((at, n, to) -> s -> {
                    int from = at % (s.length() + 1);
                    String range = s.substring(from, Math.min(s.length(), from + n));
                    int into = to % (s.length() + 1);
                    return s.substring(0, into) + range + s.substring(into);
                }));
        return Combinators.combine(base, edit.list().ofMinSize(1).ofMaxSize(4)).as((text, edits) -> {
            String s = text;
            for (Function<String, String> e : edits) {
                s = e.apply(s);
            }
            return s;
        });
    }
}
