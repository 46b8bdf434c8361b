package dev.ferry.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ferry.process.Command;
import dev.ferry.process.ProcessException;
import dev.ferry.process.ProcessResult;
import dev.ferry.process.ProcessRunner;
import dev.ferry.testkit.RequiresPrograms;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The files of packaging/ (docs/deploy/debian.md) as systemd, Caddy and the shell read them. */
@RequiresPrograms({"systemd-analyze", "caddy", "sh", "env"})
class PackagingFilesIT {
    private static final Path PACKAGING = Path.of("..", "packaging").toAbsolutePath().normalize();
    private final ProcessRunner runner = ProcessRunner.local();

    @TempDir
    Path dir;

    @Test
    void theUnitVerifiesWithoutAWarning() throws IOException {
        // The launcher is not installed in /opt here: point ExecStart at the repository's copy, change nothing else.
        String unit = Files.readString(PACKAGING.resolve("ferry.service"));
        assertThat(unit).contains("ExecStart=/opt/ferry/bin/ferry serve");
        Path copy = Files.writeString(dir.resolve("ferry.service"),
                unit.replace("/opt/ferry/bin/ferry", PACKAGING.resolve("ferry").toString()));
        ProcessResult result = runner.run(Command.of("systemd-analyze", "verify", copy.toString()));
        // verify exits 0 on unknown keys and bad values, but names them on stderr.
        assertThat(result.stderr()).isEmpty();
        assertThat(unit).doesNotContain("MemoryDenyWriteExecute=true").contains("LoadCredential=upload-token:");
    }

    @Test
    void theCaddyfileIsValidAndKeepsTheAdminApiOnLoopback() {
        Map<String, String> env = Map.of("XDG_DATA_HOME", dir.toString(), "XDG_CONFIG_HOME", dir.toString(),
                "HOME", dir.toString(), "PATH", System.getenv("PATH"));
        String caddyfile = PACKAGING.resolve("Caddyfile").toString();
        runner.run(Command.of("caddy", "validate", "--config", caddyfile, "--adapter", "caddyfile").environment(env)
                .timeout(Duration.ofMinutes(1)));
        String json = runner.run(Command.of("caddy", "adapt", "--config", caddyfile, "--adapter", "caddyfile")
                .environment(env).timeout(Duration.ofMinutes(1))).stdout();
        assertThat(json).contains("\"admin\":{\"listen\":\"127.0.0.1:2019\"}", "\"dial\":\"127.0.0.1:8080\"",
                "ferry.example.org");
    }

    @Test
    void theLauncherIsValidShellAndNamesAMissingJavaHome() {
        Path launcher = PACKAGING.resolve("ferry");
        assertThat(Files.isExecutable(launcher)).isTrue();
        runner.run(Command.of("sh", "-n", launcher.toString()));
        assertThatThrownBy(() -> runner.run(Command.of("env", "-u", "JAVA_HOME", launcher.toString(), "--version")))
                .isInstanceOf(ProcessException.class).hasMessageContaining("set JAVA_HOME to a JDK or JRE 21+");
    }

    /**
     * No jar the assembly puts in lib/ is signed: a JVM verifies a signed jar before its first class loads (0.15 s of
     * each start for BouncyCastle's), and Ferry needs none of the signatures. The classes are the released bytes.
     */
    @Test
    void theLibrariesCarryNoJarSignature() throws IOException {
        Path lib = FerryCli.jar().toAbsolutePath().getParent().resolve("lib");
        List<String> jars;
        try (var files = Files.list(lib)) {
            jars = files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".jar")).sorted().toList();
        }
        assertThat(jars).anyMatch(n -> n.startsWith("bcprov-")).anyMatch(n -> n.startsWith("org.eclipse.jgit-"));
        for (String name : jars) {
            try (JarFile jar = new JarFile(lib.resolve(name).toFile())) {
                assertThat(jar.stream().map(JarEntry::getName)
                        .filter(n -> n.matches("META-INF/[^/]+\\.(SF|RSA|DSA|EC)"))).as(name).isEmpty();
            }
        }
        // The class BouncyCastle signs with is the one Maven resolved: same bytes, signature files gone.
        Path released = Path.of(org.bouncycastle.math.ec.rfc8032.Ed25519.class.getProtectionDomain().getCodeSource()
                .getLocation().getPath());
        String entry = "org/bouncycastle/math/ec/rfc8032/Ed25519.class";
        try (JarFile ours = new JarFile(lib.resolve(released.getFileName()).toFile());
                JarFile theirs = new JarFile(released.toFile())) {
            assertThat(ours.getInputStream(ours.getEntry(entry)).readAllBytes())
                    .isEqualTo(theirs.getInputStream(theirs.getEntry(entry)).readAllBytes());
        }
    }

    /**
     * The short commands share classes through an archive the JVM writes at their first run, with nothing printed;
     * the next run maps Ferry's classes from it. The server's commands and FERRY_CDS=0 get no archive.
     */
    @Test
    void theLauncherGivesShortCommandsAClassArchiveQuietly() throws IOException {
        Path launcher = PACKAGING.resolve("ferry");
        Map<String, String> env = Map.of("HOME", dir.toString(), "PATH", System.getenv("PATH"),
                "JAVA_HOME", System.getProperty("java.home"), "FERRY_JAR", FerryCli.jar().toAbsolutePath().toString());
        Path archives = Files.createDirectories(dir.resolve(".cache/ferry/cds"));
        // The archive of another jar (the version before an update) goes when this jar's is first written.
        Files.writeString(archives.resolve("12345-keygen.jsa"), "stale");
        Files.writeString(archives.resolve("12345-nar.jsa"), "stale");

        ProcessResult first = runner.run(Command.of(launcher.toString(), "keygen", "--public-key", dir.resolve("a.pub").toString(),
                "--secret-key", dir.resolve("a.sec").toString(), "test-1").environment(env).timeout(Duration.ofMinutes(2)));
        // keygen prints only the public key, on stderr: any line of the JVM's would show.
        assertThat(first.stdout()).isEmpty();
        assertThat(first.stderr()).startsWith("public key: test-1:").hasLineCount(1);
        try (var files = Files.list(archives)) {
            assertThat(files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith("-keygen.jsa")).toList())
                    .singleElement().satisfies(name -> assertThat(name).isNotEqualTo("12345-keygen.jsa"));
        }

        Path log = dir.resolve("classes.log");
        Map<String, String> logged = new java.util.HashMap<>(env);
        logged.put("FERRY_JAVA_OPTS", "-Xlog:class+load:file=" + log);
        ProcessResult second = runner.run(Command.of(launcher.toString(), "keygen", "--public-key", dir.resolve("b.pub").toString(),
                "--secret-key", dir.resolve("b.sec").toString(), "test-2").environment(logged).timeout(Duration.ofMinutes(2)));
        assertThat(second.stderr()).startsWith("public key: test-2:").hasLineCount(1);
        assertThat(Files.readString(log)).contains("dev.ferry.app.KeygenCommand source: shared objects file (top)");

        // A NAR on standard output stays byte for byte what it is without the archive, when it is written and when used.
        Path tree = Files.createDirectories(dir.resolve("tree/sub"));
        Files.writeString(tree.resolve("file"), "contents\n");
        Map<String, String> off = new java.util.HashMap<>(env);
        off.put("FERRY_CDS", "0");
        String plain = runner.run(Command.of(launcher.toString(), "nar", "dump", tree.getParent().toString())
                .environment(off).timeout(Duration.ofMinutes(2))).stdout();
        for (int i = 0; i < 2; i++) {
            ProcessResult dump = runner.run(Command.of(launcher.toString(), "nar", "dump", tree.getParent().toString())
                    .environment(env).timeout(Duration.ofMinutes(2)));
            assertThat(dump.stdout()).isEqualTo(plain);
            assertThat(dump.stderr()).isEmpty();
        }
        assertThat(archives.resolve(first(archives, "-nar.jsa"))).exists();
        assertThat(archives.resolve("12345-nar.jsa")).doesNotExist();

        // FERRY_CDS=0 leaves the archive unused; the server's commands never get one.
        off.put("FERRY_JAVA_OPTS", "-Xlog:class+load:file=" + log);
        runner.run(Command.of(launcher.toString(), "nar", "--help").environment(off).timeout(Duration.ofMinutes(2)));
        assertThat(Files.readString(log)).contains("dev.ferry.app.NarCommand source:")
                .doesNotContain("shared objects file (top)");
        runner.run(Command.of(launcher.toString(), "serve", "--help").environment(env).timeout(Duration.ofMinutes(2)));
        try (var files = Files.list(archives)) {
            assertThat(files.map(p -> p.getFileName().toString()).sorted().toList())
                    .allSatisfy(name -> assertThat(name).matches("[0-9]+-(keygen|nar)\\.jsa")).hasSize(2);
        }
    }

    private static String first(Path directory, String suffix) throws IOException {
        try (var files = Files.list(directory)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(suffix)).findFirst()
                    .orElseThrow(() -> new AssertionError("no *" + suffix + " in " + directory));
        }
    }
}
