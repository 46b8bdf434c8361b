package dev.ferry.nix;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;

/**
 * Store paths of every kind a narinfo and a signature fingerprint can describe, made by real Nix from inputs the
 * test generates: input-addressed outputs with no reference, one reference, and a self-reference plus two
 * references (built from an expression with no inputs, using only {@code /bin/sh}); a derivation (text
 * content-addressed, with references); a tree added with {@code nix-store --add} (recursive, {@code fixed:r:sha256});
 * and a file added flat ({@code fixed:sha256}). The outputs stay GC roots while {@code dir} exists.
 */
public record TestStorePaths(StorePath a, StorePath b, StorePath c, StorePath cDerivation, StorePath tree,
                             StorePath flatFile) {

    /** Nix code building {@code a}, {@code b} (mentions a) and {@code c} (mentions a, b and itself). */
    static final String EXPRESSION = """
            let
              sh = name: script: derivation {
                inherit name;
                system = builtins.currentSystem;
                builder = "/bin/sh";
                args = [ "-c" script ];
              };
              a = sh "ferry-it-a" "echo a > $out";
              b = sh "ferry-it-b" "echo ${a} > $out";
              c = sh "ferry-it-c" "/bin/mkdir $out && echo $out ${a} > $out/self-and-a && echo ${b} > $out/b";
            in { inherit a b c; }
            """;

    /** The kinds of path, for parameterised tests. */
    public enum Kind {
        NO_REFERENCES(TestStorePaths::a),
        ONE_REFERENCE(TestStorePaths::b),
        SELF_AND_TWO_REFERENCES(TestStorePaths::c),
        DERIVATION_TEXT_CA(TestStorePaths::cDerivation),
        TREE_RECURSIVE_CA(TestStorePaths::tree),
        FILE_FLAT_CA(TestStorePaths::flatFile);

        private final Function<TestStorePaths, StorePath> path;

        Kind(Function<TestStorePaths, StorePath> path) {
            this.path = path;
        }

        public StorePath of(TestStorePaths paths) {
            return path.apply(paths);
        }
    }

    /** Builds and adds the paths; {@code dir} gets the expression, the GC root links and the added inputs. */
    public static TestStorePaths create(NixCli nix, Path dir) {
        try {
            Path expression = Files.writeString(dir.resolve("paths.nix"), EXPRESSION);
            StorePath a = nix.build(expression, "a", dir.resolve("result-a"));
            StorePath b = nix.build(expression, "b", dir.resolve("result-b"));
            StorePath c = nix.build(expression, "c", dir.resolve("result-c"));
            Path tree = TestTrees.richTree(dir.resolve("ferry-it-tree"));
            Path file = Files.write(dir.resolve("flat-file"), TestTrees.pattern(1000, 42));
            return new TestStorePaths(a, b, c, nix.deriver(c), nix.add(tree), nix.addFlat(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public List<StorePath> all() {
        return List.of(a, b, c, cDerivation, tree, flatFile);
    }

    /** The paths Nix trusts only by signature: content-addressed paths are trusted without one. */
    public List<StorePath> inputAddressed() {
        return List.of(a, b, c);
    }
}
