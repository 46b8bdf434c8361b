package dev.ferry.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.process.Command;
import dev.ferry.process.ProcessRunner;
import dev.ferry.testkit.RequiresPrograms;
import dev.ferry.testkit.TestEnv;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Every .nix file in the repository parses with Nix's own parser (the NixOS VM test cannot run offline). */
@RequiresPrograms("nix-instantiate")
class NixFilesParseIT {
    private static final Set<String> SKIPPED_DIRECTORIES = Set.of(".git", "target", ".test-env", "node_modules");

    @Test
    void everyNixFileParses() throws IOException {
        Path repository = Path.of("..").toAbsolutePath().normalize();
        assertThat(repository.resolve("pom.xml")).exists();
        List<Path> nixFiles;
        try (Stream<Path> walk = Files.walk(repository)) {
            nixFiles = walk
                    .filter(p -> repository.relativize(p).toString().isEmpty()
                            || Stream.of(repository.relativize(p).toString().split("/")).noneMatch(SKIPPED_DIRECTORIES::contains))
                    .filter(p -> p.toString().endsWith(".nix") && Files.isRegularFile(p))
                    .toList();
        }
        assertThat(nixFiles).contains(repository.resolve("flake.nix"), repository.resolve("examples/hello/flake.nix"));
        ProcessRunner runner = ProcessRunner.local();
        for (Path file : nixFiles) {
            // Throws ProcessException with Nix's parse error (file, line, column) if the file does not parse.
            runner.run(Command.of("nix-instantiate", "--parse", file.toString()).environment(TestEnv.nixEnvironment()));
        }
    }
}
