package dev.ferry.builder;

import dev.ferry.process.Command;
import dev.ferry.process.ProcessRunner;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** A throwaway forge repository: a bare {@code origin.git} and a working clone that commits and pushes to it. */
public final class TestRepository {
    private static final ProcessRunner RUNNER = ProcessRunner.local();
    private static final Map<String, String> GIT_ENV = Map.of("GIT_AUTHOR_NAME", "Ferry Test",
            "GIT_AUTHOR_EMAIL", "test@ferry.invalid", "GIT_COMMITTER_NAME", "Ferry Test",
            "GIT_COMMITTER_EMAIL", "test@ferry.invalid", "GIT_CONFIG_NOSYSTEM", "1", "HOME", "/nonexistent");

    public final Path origin;
    public final Path work;

    private TestRepository(Path origin, Path work) {
        this.origin = origin;
        this.work = work;
    }

    public static TestRepository create(Path dir) {
        Path origin = dir.resolve("origin.git");
        Path work = dir.resolve("clone");
        git(dir, "init", "--quiet", "--bare", "--initial-branch=main", origin.toString());
        git(dir, "init", "--quiet", "--initial-branch=main", work.toString());
        git(work, "remote", "add", "origin", origin.toString());
        return new TestRepository(origin, work);
    }

    /** The example project, copied from {@code examples/hello}. */
    public TestRepository writeExample() {
        Path example = Path.of("..", "examples", "hello").toAbsolutePath().normalize();
        try (Stream<Path> files = Files.walk(example)) {
            for (Path source : files.filter(Files::isRegularFile).toList()) {
                Path target = work.resolve(example.relativize(source).toString());
                Files.createDirectories(target.getParent());
                Files.copy(source, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                        java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    /** Replaces {@code from} with {@code to} in a file of the clone (which must contain it). */
    public TestRepository edit(String file, String from, String to) {
        try {
            Path path = work.resolve(file);
            String text = Files.readString(path);
            if (!text.contains(from)) {
                throw new IllegalArgumentException(file + " does not contain " + from);
            }
            Files.writeString(path, text.replace(from, to));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    /** Commits everything on the current branch; returns the commit id. */
    public String commit(String message) {
        git(work, "add", "--all");
        git(work, "commit", "--quiet", "--allow-empty", "-m", message);
        return git(work, "rev-parse", "HEAD").strip();
    }

    public TestRepository branch(String name) {
        git(work, "checkout", "--quiet", "-B", name);
        return this;
    }

    /** Pushes HEAD to {@code ref} of origin ({@code refs/heads/main}, {@code refs/pull/7/head}). */
    public TestRepository push(String ref) {
        git(work, "push", "--quiet", "--force", "origin", "HEAD:" + ref);
        return this;
    }

    /** Deletes {@code branch} in origin, as a forge does when a branch is deleted (its default branch too). */
    public TestRepository deleteBranch(String branch) {
        git(origin, "update-ref", "-d", "refs/heads/" + branch);
        return this;
    }

    /** Moves the current branch of the clone back (or on) to {@code commit}, files included. */
    public TestRepository resetTo(String commit) {
        git(work, "reset", "--quiet", "--hard", commit);
        return this;
    }

    public String url() {
        return origin.toUri().toString();
    }

    public static String git(Path dir, String... args) {
        List<String> argv = new ArrayList<>(List.of("git"));
        argv.addAll(List.of(args));
        return RUNNER.run(Command.of(argv).directory(dir).environment(GIT_ENV)).stdout();
    }
}
