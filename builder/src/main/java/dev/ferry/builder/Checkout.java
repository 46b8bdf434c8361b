package dev.ferry.builder;

import dev.ferry.nix.FileTrees;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Pattern;
import org.eclipse.jgit.api.ArchiveCommand;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.api.errors.InvalidRemoteException;
import org.eclipse.jgit.api.errors.JGitInternalException;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectLoader;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.transport.RefSpec;
import org.eclipse.jgit.util.FS;

/**
 * Git checkouts with JGit: one bare mirror per project under {@code <data-dir>/git/<project>.git}, fetched under a
 * per-project lock (so concurrent builds of a project never write the mirror at once), and the exact commit's tree
 * exported into {@code <data-dir>/work/<build-id>} (files only: no {@code .git}, so Nix sees the commit's files and
 * nothing else). Submodules are not checked out (their directories are left empty).
 */
final class Checkout {
    private static final String FORMAT = "ferry-directory";
    private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}|[0-9a-f]{64}");
    private static final int NETWORK_TIMEOUT_SECONDS = 300;

    static {
        ArchiveCommand.registerFormat(FORMAT, new DirectoryFormat());
        // JGit measures the file system's timestamp resolution on first use (about 3 s); let it do so in the
        // background instead of inside the first build's fetch.
        FS.FileStoreAttributes.setBackground(true);
    }

    private final Path mirrors;
    private final Path work;
    private final Map<String, ReentrantLock> locks = new ConcurrentHashMap<>();

    Checkout(Path dataDir) {
        this.mirrors = dataDir.resolve("git");
        this.work = dataDir.resolve("work");
    }

    /** The directory a build's checkout goes to. */
    Path workDirectory(long buildId) {
        return work.resolve(Long.toString(buildId));
    }

    /**
     * Fetches what {@code request} needs into the project's mirror (unless it has the commit; always for a build
     * that must be its branch's head, which then fails with {@link StaleRequestException} if it is not) and exports
     * it.
     */
    Path checkout(BuildRequest request, BuildLog log) {
        if (!COMMIT.matcher(request.commit()).matches()) {
            throw new BuildFailedException("'" + request.commit() + "' is not a full commit id (40 or 64 lower-case "
                    + "hex digits)");
        }
        ObjectId commit = ObjectId.fromString(request.commit());
        Path mirror = mirrors.resolve(request.project().name() + ".git");
        Path target = workDirectory(request.buildId());
        ReentrantLock lock = locks.computeIfAbsent(request.project().name(), name -> new ReentrantLock());
        lock.lock();
        try (Git git = openMirror(mirror)) {
            if (request.check() == BuildRequest.CommitCheck.BRANCH_HEAD) {
                requireBranchHead(git, request, log);
            } else if (git.getRepository().getObjectDatabase().has(commit)) {
                log.line("commit " + request.commit() + " is already in the mirror; not fetching");
            } else {
                fetch(git, request, log);
                if (!git.getRepository().getObjectDatabase().has(commit)) {
                    throw new BuildFailedException("commit " + request.commit() + " is not in "
                            + request.ref().describe() + " of " + request.project().redactedCloneUrl());
                }
            }
            requireCommit(git, commit, request.commit());
            delete(target);
            Files.createDirectories(target);
            git.archive().setTree(commit).setFormat(FORMAT).setOutputStream(OutputStream.nullOutputStream())
                    .setFormatOptions(Map.of("destination", target)).call();
            return target;
        } catch (org.eclipse.jgit.api.errors.TransportException | InvalidRemoteException e) {
            // Only a fetch throws these: the remote could not be read, which is no checkout's fault.
            throw fetchFailure(request.project(), e);
        } catch (GitAPIException | JGitInternalException e) {
            throw failure("checking out " + request.commit() + " failed", e);
        } catch (IOException e) {
            throw failure("checking out " + request.commit() + " failed", e);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Fetches the branch (always: an old commit sent again is already in the mirror) and fails with
     * {@link StaleRequestException} unless the remote's branch is at the build's commit.
     */
    private void requireBranchHead(Git git, BuildRequest request, BuildLog log) throws GitAPIException, IOException {
        String branch = ((BuildRef.Branch) request.ref()).name();
        String ref = "refs/heads/" + branch;
        long start = System.nanoTime();
        org.eclipse.jgit.transport.FetchResult fetched;
        try {
            fetched = fetchRef(git, request.project().cloneUrl(), ref, log);
        } catch (org.eclipse.jgit.api.errors.TransportException e) {
            // What JGit throws when the remote has no such branch ("Remote does not have refs/heads/x available for
            // fetch"), and when it cannot be reached: only the first is confirmed by asking the remote again.
            if (!Thread.currentThread().isInterrupted() && String.valueOf(e.getMessage()).contains("does not have")
                    && isGone(request.project(), branch)) {
                if (!has(git, request.commit())) {
                    // Never fetched: the push may not have reached this remote at all.
                    throw new StaleRequestException("not built: branch " + branch + " does not exist in "
                            + request.project().redactedCloneUrl() + ", and commit " + abbreviate(request.commit())
                            + " is not in it (a mirror that has not caught up, or a push that never reached it; or "
                            + "the branch was deleted after the push)");
                }
                throw new StaleRequestException("not built: branch " + branch + " does not exist any more, so "
                        + abbreviate(request.commit()) + " is not its head (deleted after the push, or an old "
                        + "delivery sent again)");
            }
            throw e;
        }
        // What the remote announced, not the mirror's copy of the ref: that one may not have been updated (a
        // branch `a` left in the mirror blocks `a/b`, and JGit reports it without failing the fetch).
        org.eclipse.jgit.lib.Ref advertised = fetched.getAdvertisedRef(ref);
        ObjectId head = advertised == null ? null : advertised.getObjectId();
        log.line("branch " + branch + " is at " + (head == null ? "nothing" : head.name()) + " on the remote "
                + "(fetched in " + java.time.Duration.ofNanos(System.nanoTime() - start).toMillis() + " ms)");
        if (head != null && !head.name().equals(request.commit()) && !has(git, request.commit())) {
            // Not an older commit of the branch: one the remote has never had (as far as the branch and every
            // earlier fetch tell).
            throw new StaleRequestException("not built: commit " + abbreviate(request.commit()) + " is not in "
                    + request.project().redactedCloneUrl() + " (a mirror that has not caught up, or a push that "
                    + "never reached it; or a force-push replaced it before it was fetched, and this is an old "
                    + "delivery); branch " + branch + " is at " + abbreviate(head.name()), head.name());
        }
        if (head == null || !head.name().equals(request.commit())) {
            String message = "not built: branch " + branch + " is at "
                    + (head == null ? "nothing" : abbreviate(head.name())) + " now, not at "
                    + abbreviate(request.commit()) + " (a newer push, or an old delivery sent again)";
            throw head == null ? new StaleRequestException(message) : new StaleRequestException(message, head.name());
        }
    }

    /** Whether the mirror holds {@code commit} (a full id) as an object. */
    private static boolean has(Git git, String commit) throws IOException {
        return git.getRepository().getObjectDatabase().has(ObjectId.fromString(commit));
    }

    /**
     * A fetch that failed, worded as one: {@code fetching <url> failed: <why>}, saying plainly when there is no
     * repository at a {@code file:} URL or the host cannot be reached.
     */
    private static BuildFailedException fetchFailure(Project project, GitAPIException e) {
        return remoteFailure("fetching " + project.redactedCloneUrl() + " failed", project, e, e);
    }

    /** {@code what}, then why {@code cause} (the failure of reading the project's remote) happened, in words. */
    private static BuildFailedException remoteFailure(String what, Project project, Exception e, Throwable cause) {
        if (Thread.currentThread().isInterrupted()) {
            return failure(what, e);
        }
        return new BuildFailedException(what + ": " + fetchProblem(project.cloneUrl(), cause), e);
    }

    private static String fetchProblem(String url, Throwable e) {
        if (url.startsWith("file:")) {
            try {
                Path path = Path.of(java.net.URI.create(url));
                if (!Files.exists(path)) {
                    return "there is no repository there (" + path + " does not exist)";
                }
                if (e instanceof InvalidRemoteException) {
                    return "there is no repository there (" + path + " is not a git repository)";
                }
            } catch (IllegalArgumentException | java.nio.file.FileSystemNotFoundException notAPath) {
                // fall through to JGit's words
            }
        }
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof java.net.UnknownHostException) {
                return "the host cannot be found (unknown host " + cause.getMessage() + ")";
            }
            if (cause instanceof java.net.ConnectException || cause instanceof java.net.NoRouteToHostException) {
                return "the host cannot be reached (" + Project.redact(String.valueOf(cause.getMessage())) + ")";
            }
            if (cause instanceof java.net.SocketTimeoutException) {
                return "the remote did not answer in time (" + NETWORK_TIMEOUT_SECONDS + " s)";
            }
        }
        if (e instanceof InvalidRemoteException) {
            return "there is no repository there (" + Project.redact(String.valueOf(e.getMessage())) + ")";
        }
        return Project.redact(String.valueOf(e.getMessage()));
    }

    /**
     * The commit {@code branch} of the project's remote points at ({@code git ls-remote --heads}); empty if there is
     * no such branch. Fails with a {@link BuildFailedException} if the remote cannot be read.
     */
    Optional<String> remoteHead(Project project, String branch) {
        try {
            return GitRemote.branchHead(project.cloneUrl(), branch, NETWORK_TIMEOUT_SECONDS);
        } catch (GitRemote.Unreadable e) {
            throw remoteFailure("reading the branches of " + project.redactedCloneUrl() + " failed", project, e,
                    e.getCause() == null ? e : e.getCause());
        }
    }

    /** Whether the remote answers without {@code branch}; false if it cannot be read. */
    private boolean isGone(Project project, String branch) {
        try {
            return remoteHead(project, branch).isEmpty();
        } catch (BuildFailedException unreadable) {
            return false;
        }
    }

    /** The first 8 hex digits of a commit id, as messages show it. */
    static String abbreviate(String commit) {
        return commit.length() > 8 ? commit.substring(0, 8) : commit;
    }

    /** Removes a build's checkout; nothing if there is none. */
    void remove(long buildId) {
        delete(workDirectory(buildId));
    }

    private Git openMirror(Path mirror) throws GitAPIException, IOException {
        if (Files.isRegularFile(mirror.resolve("HEAD"))) {
            return Git.open(mirror.toFile());
        }
        Files.createDirectories(mirror.getParent());
        return Git.init().setBare(true).setDirectory(mirror.toFile()).call();
    }

    private void fetch(Git git, BuildRequest request, BuildLog log) throws GitAPIException {
        String url = request.project().cloneUrl();
        switch (request.ref()) {
            case BuildRef.Branch branch -> fetchRef(git, url, "refs/heads/" + branch.name(), log);
            case BuildRef.PullRequest pr -> {
                String pull = "refs/pull/" + pr.number() + "/head";
                try {
                    fetchRef(git, url, pull, log);
                } catch (org.eclipse.jgit.api.errors.TransportException e) {
                    if (Thread.currentThread().isInterrupted()) {
                        throw e;
                    }
                    log.line(pull + " could not be fetched (" + Project.redact(String.valueOf(e.getMessage()))
                            + "); fetching the head branch " + pr.headBranch() + " instead");
                    fetchRef(git, url, "refs/heads/" + pr.headBranch(), log);
                }
            }
        }
    }

    private org.eclipse.jgit.transport.FetchResult fetchRef(Git git, String url, String ref, BuildLog log)
            throws GitAPIException {
        if (!Repository.isValidRefName(ref) || ref.contains(":") || ref.contains("*")) {
            throw new BuildFailedException("'" + ref + "' is not a valid git ref name");
        }
        log.line("fetching " + ref + " from " + Project.redact(url));
        return git.fetch().setRemote(url).setRefSpecs(new RefSpec("+" + ref + ":" + ref))
                .setTimeout(NETWORK_TIMEOUT_SECONDS).call();
    }

    private static void requireCommit(Git git, ObjectId id, String commit) throws IOException {
        try (RevWalk walk = new RevWalk(git.getRepository())) {
            walk.parseCommit(id);
        } catch (org.eclipse.jgit.errors.IncorrectObjectTypeException e) {
            throw new BuildFailedException(commit + " is not a commit");
        }
    }

    private static BuildFailedException failure(String what, Exception e) {
        if (Thread.currentThread().isInterrupted()) {
            return new BuildFailedException("cancelled while " + what.replace(" failed", ""), e);
        }
        // JGit wraps what went wrong in a command ("Exception caught during execution of archive command").
        Throwable cause = e instanceof JGitInternalException && e.getCause() != null ? e.getCause() : e;
        return new BuildFailedException(what + ": " + Project.redact(String.valueOf(cause.getMessage())), e);
    }

    static void delete(Path dir) {
        try {
            FileTrees.delete(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("removing " + dir + " failed", e);
        }
    }

    /** An archive "format" that writes the tree's entries as files under a directory. */
    static final class DirectoryFormat implements ArchiveCommand.Format<DirectoryFormat.Target> {
        /** The checkout directory (just made empty) and the links this commit wrote in it, relative to it. */
        record Target(Path root, Set<String> links) implements Closeable {
            Target(Path root) {
                this(root, new HashSet<>());
            }

            @Override
            public void close() {
            }
        }

        @Override
        public Target createArchiveOutputStream(OutputStream s) {
            throw new IllegalStateException("the destination directory is a format option");
        }

        @Override
        public Target createArchiveOutputStream(OutputStream s, Map<String, Object> options) {
            return new Target((Path) options.get("destination"));
        }

        @Override
        public void putEntry(Target out, ObjectId tree, String path, FileMode mode, ObjectLoader loader)
                throws IOException {
            String relative = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
            if (relative.isEmpty() || relative.startsWith("/") || List.of(relative.split("/")).stream()
                    .anyMatch(s -> s.isEmpty() || s.equals(".") || s.equals(".."))) {
                throw new IOException("the commit holds an unsafe path: " + path);
            }
            Path file = out.root().resolve(relative);
            // A tree may hold two entries of one name (JGit's fetch does not refuse it): a symlink `a`, then a
            // directory `a/` whose files would be written wherever the link points. Nothing is written through a
            // link (the directory was empty, so the only links are the commit's own: no file system lookups), and
            // no entry replaces one already written.
            for (int slash = relative.lastIndexOf('/'); slash > 0; slash = relative.lastIndexOf('/', slash - 1)) {
                if (out.links().contains(relative.substring(0, slash))) {
                    throw new IOException("the commit holds an unsafe path: " + path + " ("
                            + relative.substring(0, slash) + " is a symbolic link)");
                }
            }
            try {
                if (out.links().contains(relative)) {
                    throw new FileAlreadyExistsException(relative);
                }
                Files.createDirectories(file.getParent());
                if (mode == FileMode.TREE || mode == FileMode.GITLINK) {
                    Files.createDirectories(file);
                } else if (mode == FileMode.SYMLINK) {
                    Files.createSymbolicLink(file, Path.of(new String(loader.getBytes(), StandardCharsets.UTF_8)));
                    out.links().add(relative);
                } else {
                    try (OutputStream o = Files.newOutputStream(file, StandardOpenOption.CREATE_NEW,
                            StandardOpenOption.WRITE)) {
                        loader.copyTo(o);
                    }
                    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(
                            mode == FileMode.EXECUTABLE_FILE ? "rwxr-xr-x" : "rw-r--r--"));
                }
            } catch (FileAlreadyExistsException e) {
                throw new IOException("the commit holds an unsafe path: " + path + " (" + relative
                        + " appears twice in its tree)", e);
            }
        }

        @Override
        public Iterable<String> suffixes() {
            return List.of();
        }
    }
}
