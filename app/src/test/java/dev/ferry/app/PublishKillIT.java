package dev.ferry.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.nix.NarInfo;
import dev.ferry.nix.SecretKey;
import dev.ferry.process.Command;
import dev.ferry.process.ProcessRunner;
import dev.ferry.testkit.RequiresPrograms;
import dev.ferry.testkit.TestEnv;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `ferry publish` killed with SIGKILL at any moment leaves a cache Nix accepts, and running it again finishes. */
@RequiresPrograms({"nix", "nix-build"})
class PublishKillIT {
    private static final ProcessRunner RUNNER = ProcessRunner.local();

    @TempDir
    Path dir;

    @Test
    void killedPublishLeavesAValidCache() throws Exception {
        SecretKey key = SecretKey.generate("kill-test-1");
        Path keyFile = Files.writeString(dir.resolve("key.sec"), key.render());
        String root = buildClosure();
        String trusted = key.publicKey().render();

        // Kill when the first NAR appears, when the first narinfo appears, and when half the narinfos are there.
        for (int narInfosBeforeKill : new int[] {0, 1, 14}) {
            Path cache = dir.resolve("cache-" + narInfosBeforeKill);
            Process publish = new ProcessBuilder(ferry("publish", "--jobs", "1", "--to", "file://" + cache,
                    "--secret-key", keyFile.toString(), root))
                    .redirectErrorStream(true).redirectOutput(dir.resolve("publish-" + narInfosBeforeKill + ".log").toFile())
                    .start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (publish.isAlive() && System.nanoTime() < deadline
                    && (countFiles(cache.resolve("nar")) == 0 || narInfos(cache).size() < narInfosBeforeKill)) {
                Thread.sleep(5);
            }
            publish.destroyForcibly(); // SIGKILL
            publish.waitFor(30, TimeUnit.SECONDS);

            List<NarInfo> present = narInfos(cache);
            System.out.printf("killed with %d narinfos of 27 present%n", present.size());
            for (NarInfo info : present) {
                // Every narinfo present substitutes with its whole closure: the invariant held at the kill.
                nix("nix", "copy", "--from", "file://" + cache, "--to", dir.resolve("store-" + UUID.randomUUID()).toString(),
                        info.storePath().absolute(), "--option", "trusted-public-keys", trusted);
            }
            RUNNER.run(Command.of(ferry("publish", "--to", "file://" + cache, "--secret-key", keyFile.toString(), root))
                    .environment(Map.of("LC_ALL", "C.UTF-8")).timeout(Duration.ofMinutes(3)));
            nix("nix", "copy", "--from", "file://" + cache, "--to", dir.resolve("store-" + UUID.randomUUID()).toString(),
                    root, "--option", "trusted-public-keys", trusted);
        }
    }

    private String buildClosure() throws IOException {
        String expression = """
                let
                  mk = name: script: derivation {
                    inherit name; system = builtins.currentSystem; builder = "/bin/sh";
                    args = [ "-c" script ]; PATH = "/usr/bin:/bin"; marker = "%s";
                  };
                  blobs = builtins.genList (i: mk "blob${toString i}" "head -c 8000000 /dev/urandom > $out") 6;
                  smalls = builtins.genList (i: mk "small${toString i}" "echo ${toString i} > $out") 20;
                in mk "root" "echo ${toString blobs} ${toString smalls} > $out"
                """.formatted(UUID.randomUUID());
        Path file = Files.writeString(dir.resolve("closure.nix"), expression);
        return nix("nix-build", "--no-out-link", file.toString()).strip();
    }

    private static String nix(String... argv) {
        return RUNNER.run(Command.of(argv).environment(TestEnv.nixEnvironment()).timeout(Duration.ofMinutes(3))).stdout();
    }

    private static long countFiles(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.count();
        }
    }

    private static List<NarInfo> narInfos(Path cache) throws IOException {
        if (!Files.isDirectory(cache)) {
            return List.of();
        }
        List<NarInfo> infos = new ArrayList<>();
        try (Stream<Path> files = Files.list(cache)) {
            for (Path file : files.filter(f -> f.getFileName().toString().endsWith(".narinfo")).toList()) {
                infos.add(NarInfo.parse(Files.readString(file)));
            }
        }
        return infos;
    }

    static List<String> ferry(String... args) {
        List<String> argv = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "--enable-native-access=ALL-UNNAMED", "-jar", Path.of("target", "ferry.jar").toAbsolutePath().toString()));
        argv.addAll(List.of(args));
        return argv;
    }

}
