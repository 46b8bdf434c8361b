package dev.ferry.nix;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;

/**
 * A file tree as a NAR can hold it, for generated tests: it writes its canonical NAR with {@link NarBytes} (an
 * implementation independent of {@link NarWriter}), lists the events {@link RecordingVisitor} should record for it,
 * and can be created on disk.
 */
sealed interface NarTree {
    /** NAR entry order: by the UTF-8 bytes of the name, unsigned. */
    Comparator<String> BYTE_ORDER = (a, b) ->
            Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));

    record File(byte[] contents, boolean executable) implements NarTree {
    }

    record Link(String target) implements NarTree {
    }

    record Dir(SortedMap<String, NarTree> entries) implements NarTree {
        public Dir {
            TreeMap<String, NarTree> sorted = new TreeMap<>(BYTE_ORDER);
            sorted.putAll(entries);
            entries = sorted;
        }
    }

    static Dir dir(Map<String, NarTree> entries) {
        return new Dir(new TreeMap<>(entries));
    }

    default byte[] nar() {
        NarBytes out = NarBytes.nar();
        writeNode(out);
        return out.bytes();
    }

    default void writeNode(NarBytes out) {
        switch (this) {
            case File f -> out.file(f.contents(), f.executable());
            case Link l -> out.symlink(l.target());
            case Dir d -> {
                out.directory();
                d.entries().forEach((name, child) -> {
                    out.entry(name);
                    child.writeNode(out);
                    out.close();
                });
                out.close();
            }
        }
    }

    default void events(String path, List<String> events) {
        switch (this) {
            case File f -> events.add(RecordingVisitor.file(path, f.executable(), f.contents()));
            case Link l -> events.add("link " + path + " -> " + l.target());
            case Dir d -> {
                events.add("dir " + path);
                d.entries().forEach((name, child) -> child.events(path.isEmpty() ? name : path + "/" + name, events));
            }
        }
    }

    default List<String> events() {
        List<String> events = new java.util.ArrayList<>();
        events("", events);
        return events;
    }

    default void create(Path at) throws IOException {
        switch (this) {
            case File f -> {
                Files.write(at, f.contents());
                Files.setPosixFilePermissions(at, PosixFilePermissions.fromString(f.executable() ? "rwxr-xr-x" : "rw-r--r--"));
            }
            case Link l -> Files.createSymbolicLink(at, Path.of(l.target()));
            case Dir d -> {
                Files.createDirectory(at);
                for (Map.Entry<String, NarTree> e : d.entries().entrySet()) {
                    e.getValue().create(at.resolve(e.getKey()));
                }
            }
        }
    }

    // Generators

    static Arbitrary<NarTree> trees() {
        return node(3);
    }

    private static Arbitrary<NarTree> node(int depth) {
        if (depth == 0) {
            return Arbitraries.oneOf(files(), links());
        }
        return Arbitraries.frequencyOf(Tuple.of(3, files()), Tuple.of(1, links()), Tuple.of(4, dirs(depth)));
    }

    private static Arbitrary<NarTree> dirs(int depth) {
        return Arbitraries.maps(names(), Arbitraries.lazy(() -> node(depth - 1))).ofMaxSize(4)
                .map(entries -> (NarTree) dir(entries));
    }

    private static Arbitrary<NarTree> files() {
        Arbitrary<byte[]> small = Arbitraries.bytes().array(byte[].class).ofMaxSize(100);
        // Now and then a file larger than NarReader's 64 KiB buffer.
        // (Filled from a seed: jqwik draws arrays byte by byte, which is slow at this size.)
        Arbitrary<byte[]> large = Combinators.combine(Arbitraries.longs(), Arbitraries.integers().between(65_000, 70_000))
                .as((seed, size) -> {
                    byte[] bytes = new byte[size];
                    new java.util.Random(seed).nextBytes(bytes);
                    return bytes;
                });
        Arbitrary<byte[]> contents = Arbitraries.frequencyOf(Tuple.of(30, small), Tuple.of(1, large));
        return Combinators.combine(contents, Arbitraries.of(false, true)).as(File::new);
    }

    private static Arbitrary<NarTree> links() {
        // Only targets the JDK can create as they are: Path.of drops repeated and trailing slashes.
        return Arbitraries.strings().withChars("ab/._-ä").ofMinLength(1).ofMaxLength(20)
                .filter(target -> Path.of(target).toString().equals(target))
                .map(Link::new);
    }

    static Arbitrary<String> names() {
        return Arbitraries.strings().withChars("abAB-._äß日").ofMinLength(1).ofMaxLength(6)
                .filter(n -> !n.equals(".") && !n.equals(".."));
    }
}
