package dev.ferry.nix;

import dev.ferry.process.Command;
import dev.ferry.process.ProcessException;
import dev.ferry.process.ProcessRunner;
import dev.ferry.testkit.TestEnv;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The real Nix (2.8) as the interop tests drive it, through Ferry's own process seam. Every method runs one Nix
 * command with the offline settings of {@link TestEnv#nixEnvironment()} and fails the test with Nix's stderr if
 * it exits non-zero, except {@link #exitCode}, for the commands whose failure is the point.
 */
public final class NixCli {
    private static final Duration TIMEOUT = Duration.ofMinutes(2);
    private static final Pattern NAR_HASH = Pattern.compile("\"narHash\":\"([^\"]+)\"");
    private static final Pattern NAR_SIZE = Pattern.compile("\"narSize\":(\\d+)");
    private static final Pattern REFERENCES = Pattern.compile("\"references\":\\[([^\\]]*)\\]");

    private final ProcessRunner runner = ProcessRunner.local();

    /** What {@code nix path-info --json} says of one path. */
    public record PathInfo(Hash narHash, long narSize, List<StorePath> references) {
    }

    /** {@code nix-store --dump PATH} to {@code out}. */
    public void dump(Path path, OutputStream out) {
        runner.run(command("nix-store", "--dump", path.toString()), out);
    }

    /** {@code nix-store --dump PATH} into {@code file}, which is returned. */
    public Path dumpToFile(Path path, Path file) {
        try (OutputStream out = Files.newOutputStream(file)) {
            dump(path, out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    /** {@code nix hash path --type sha256 --base32 PATH}, as a {@link Hash}. */
    public Hash hashPath(Path path) {
        return Hash.parse("sha256:" + stdout("nix", "--extra-experimental-features", "nix-command",
                "hash", "path", "--type", "sha256", "--base32", path.toString()));
    }

    /** {@code nix-store --add PATH}: a content-addressed ({@code fixed:r:sha256}) store path. */
    public StorePath add(Path path) {
        return StorePath.parse(stdout("nix-store", "--add", path.toString()));
    }

    /** {@code nix-store --add-fixed sha256 FILE}: a flat content-addressed ({@code fixed:sha256}) store path. */
    public StorePath addFlat(Path file) {
        return StorePath.parse(stdout("nix-store", "--add-fixed", "sha256", file.toString()));
    }

    /** {@code nix-build FILE -A ATTRIBUTE -o OUT_LINK}; the link is a GC root for as long as it exists. */
    public StorePath build(Path expression, String attribute, Path outLink) {
        return StorePath.parse(stdout("nix-build", expression.toString(), "-A", attribute, "-o", outLink.toString()));
    }

    /**
     * {@code nix path-info --json PATH} (Nix 2.8 prints the NAR hash in SRI form). For a {@code .drv} path, of the
     * derivation itself: without {@code --derivation} Nix 2.8 would describe its outputs.
     */
    public PathInfo pathInfo(StorePath path) {
        String json = path.name().endsWith(".drv")
                ? stdout("nix", "path-info", "--json", "--derivation", path.absolute())
                : stdout("nix", "path-info", "--json", path.absolute());
        List<StorePath> references = new ArrayList<>();
        for (String quoted : group(REFERENCES, json, path).split(",")) {
            if (!quoted.isBlank()) {
                references.add(StorePath.parse(quoted.strip().replace("\"", "")));
            }
        }
        return new PathInfo(Hash.parse(group(NAR_HASH, json, path)), Long.parseLong(group(NAR_SIZE, json, path)),
                references);
    }

    /** {@code nix-store --query --deriver PATH}. */
    public StorePath deriver(StorePath path) {
        return StorePath.parse(stdout("nix-store", "--query", "--deriver", path.absolute()));
    }

    /** {@code nix-store --generate-binary-cache-key NAME SECRET PUBLIC}. */
    public void generateKey(String name, Path secretKey, Path publicKey) {
        run("nix-store", "--generate-binary-cache-key", name, secretKey.toString(), publicKey.toString());
    }

    /** {@code nix key convert-secret-to-public < SECRET}. */
    public String publicKeyOf(Path secretKey) {
        return runner.run(command("nix", "key", "convert-secret-to-public").stdin(secretKey)).stdout().strip();
    }

    /** A {@code file://} binary cache URL for {@code dir}, uncompressed and signed with {@code secretKey}. */
    public static String fileCache(Path dir, String compression, Path secretKey) {
        return "file://" + dir + "?compression=" + compression + "&secret-key=" + secretKey;
    }

    /** The text of the narinfo a {@code file://} cache in {@code cacheDir} holds for {@code path}. */
    public static String narInfoText(Path cacheDir, StorePath path) {
        try {
            return Files.readString(cacheDir.resolve(path.hashPart() + ".narinfo"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every {@code .narinfo} file in a {@code file://} cache. */
    public static List<Path> narInfoFiles(Path cacheDir) {
        try (Stream<Path> files = Files.list(cacheDir)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".narinfo")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * {@code nix copy --to STORE PATHS...}: the paths with their closures. A {@code .drv} path is copied as itself,
     * not as its outputs (Nix 2.8 needs {@code --derivation} for that, and refuses it for other paths).
     */
    public void copyTo(String store, List<StorePath> paths) {
        forDerivationsAndOthers(List.of("nix", "copy", "--to", store), paths);
    }

    /** {@code nix store sign --store STORE --key-file KEY --recursive PATHS...}, {@code .drv} paths as in copyTo. */
    public void sign(String store, Path secretKey, List<StorePath> paths) {
        forDerivationsAndOthers(List.of("nix", "store", "sign", "--store", store, "--key-file", secretKey.toString(),
                "--recursive"), paths);
    }

    private void forDerivationsAndOthers(List<String> command, List<StorePath> paths) {
        for (boolean derivations : new boolean[] {true, false}) {
            List<String> argv = new ArrayList<>(command);
            if (derivations) {
                argv.add("--derivation");
            }
            paths.stream().filter(p -> p.name().endsWith(".drv") == derivations).forEach(p -> argv.add(p.absolute()));
            if (argv.size() > command.size() + (derivations ? 1 : 0)) {
                run(argv);
            }
        }
    }

    /** Runs a Nix command and returns its stdout, stripped. */
    public String stdout(String... argv) {
        return runner.run(command(argv)).stdout().strip();
    }

    public void run(String... argv) {
        run(List.of(argv));
    }

    public void run(List<String> argv) {
        runner.run(command(argv));
    }

    /** Runs a Nix command that may fail and returns its exit code and stderr. */
    public Outcome exitCode(List<String> argv) {
        try {
            var result = runner.run(command(argv));
            return new Outcome(0, result.stderr());
        } catch (ProcessException e) {
            return new Outcome(e.exitCode(), e.stderr());
        }
    }

    /** How a command that was allowed to fail ended. */
    public record Outcome(int exitCode, String stderr) {
    }

    private static Command command(String... argv) {
        return command(List.of(argv));
    }

    private static Command command(List<String> argv) {
        return Command.of(argv).environment(TestEnv.nixEnvironment()).timeout(TIMEOUT);
    }

    private static String group(Pattern pattern, String json, StorePath path) {
        Matcher m = pattern.matcher(json);
        if (!m.find()) {
            throw new AssertionError("nix path-info --json " + path + " printed no " + pattern + ": " + json);
        }
        return m.group(1);
    }
}
