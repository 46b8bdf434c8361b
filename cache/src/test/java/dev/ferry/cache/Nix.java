package dev.ferry.cache;

import dev.ferry.nix.StorePath;
import dev.ferry.process.Command;
import dev.ferry.process.ProcessResult;
import dev.ferry.process.ProcessRunner;
import dev.ferry.testkit.TestEnv;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Runs the real {@code nix} for the cache's integration tests. */
final class Nix {
    private static final ProcessRunner RUNNER = ProcessRunner.local();

    private Nix() {
    }

    static ProcessResult run(String... argv) {
        return RUNNER.run(Command.of(argv).environment(TestEnv.nixEnvironment()).timeout(Duration.ofMinutes(5)));
    }

    /** Output of {@code nix-build} on an expression; each test gets fresh paths by putting a unique marker in it. */
    static List<StorePath> build(Path dir, String expression) {
        try {
            Path file = Files.writeString(Files.createTempFile(dir, "expr", ".nix"), expression);
            String out = run("nix-build", "--no-out-link", file.toString()).stdout();
            List<StorePath> paths = new ArrayList<>();
            for (String line : out.strip().split("\n")) {
                paths.add(StorePath.parse(line.strip()));
            }
            return paths;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * A closure of {@code count} small paths in a chain plus fan-out (path i references i-1 and 0), and one path of
     * {@code bigMiB} MiB of incompressible-ish data, all referenced by the returned root.
     */
    static StorePath closure(Path dir, String marker, int count, int bigMiB) {
        String expression = """
                let
                  mk = name: script: derivation {
                    inherit name; system = builtins.currentSystem; builder = "/bin/sh";
                    args = [ "-c" script ]; PATH = "/usr/bin:/bin"; marker = "%1$s";
                  };
                  big = mk "big" "head -c %3$d /dev/urandom > $out";
                  first = mk "p0" "echo %1$s > $out";
                  chain = builtins.foldl' (prev: i: mk "p${toString i}" "mkdir $out; echo ${prev} ${first} > $out/refs; echo i > $out/i; chmod +x $out/i")
                    first (builtins.genList (i: i + 1) %2$d);
                in mk "root" "mkdir $out; echo ${chain} ${big} > $out/refs"
                """.formatted(marker, Math.max(0, count - 3), bigMiB * 1024 * 1024);
        return build(dir, expression).getFirst();
    }

    static Path freshStore(Path dir) {
        return dir.resolve("store-" + System.nanoTime());
    }
}
