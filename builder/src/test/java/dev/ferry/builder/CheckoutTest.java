package dev.ferry.builder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.eclipse.jgit.lib.CommitBuilder;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.RefUpdate;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.lib.TreeFormatter;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckoutTest {
    private static final String COMMIT = "4b3c1e5847b3d72c2e43ec50ba7c8d570f6e9a75";

    @TempDir
    Path dir;

    private void checkout(BuildRef ref, String commit) {
        Project project = new Project("app", dir.resolve("nowhere.git").toUri().toString(), "main");
        new Checkout(dir).checkout(new BuildRequest(1, project, ref, commit, BuildRequest.CommitCheck.AS_GIVEN),
                new BuildLog(new ByteArrayOutputStream()));
    }

    @Test
    void aCommitMustBeAFullId() {
        assertThatThrownBy(() -> checkout(new BuildRef.Branch("main"), "HEAD"))
                .isInstanceOf(BuildFailedException.class)
                .hasMessage("'HEAD' is not a full commit id (40 or 64 lower-case hex digits)");
        assertThat(dir.resolve("git")).doesNotExist();
    }

    @Test
    void onlyABranchBuildCanRequireItsCommitToBeTheHead() {
        Project project = new Project("app", dir.resolve("nowhere.git").toUri().toString(), "main");
        assertThatThrownBy(() -> new BuildRequest(1, project, new BuildRef.PullRequest(7, "topic"), COMMIT,
                BuildRequest.CommitCheck.BRANCH_HEAD))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("only a branch build can require its commit to be the branch's head, not one of pull "
                        + "request #7 (branch topic)");
    }

    @Test
    void aBranchNameCannotSmuggleARefspec() {
        assertThatThrownBy(() -> checkout(new BuildRef.Branch("main:refs/heads/other"), COMMIT))
                .isInstanceOf(BuildFailedException.class)
                .hasMessage("'refs/heads/main:refs/heads/other' is not a valid git ref name");
        assertThatThrownBy(() -> checkout(new BuildRef.Branch("a..b"), COMMIT))
                .hasMessage("'refs/heads/a..b' is not a valid git ref name");
    }

    @Test
    void aMissingRepositoryIsAFetchFailureThatSaysSo() throws IOException {
        String url = dir.resolve("nowhere.git").toUri().toString();
        assertThatThrownBy(() -> checkout(new BuildRef.Branch("main"), COMMIT))
                .isInstanceOf(BuildFailedException.class)
                .hasMessage("fetching " + url + " failed: there is no repository there (" + dir.resolve("nowhere.git")
                        + " does not exist)");
        assertThat(dir.resolve("work/1")).doesNotExist();
        // The same for a build that must be its branch's head (a webhook's).
        Project project = new Project("app", url, "main");
        assertThatThrownBy(() -> new Checkout(dir).checkout(new BuildRequest(1, project, new BuildRef.Branch("main"),
                COMMIT, BuildRequest.CommitCheck.BRANCH_HEAD), new BuildLog(new ByteArrayOutputStream())))
                .isInstanceOf(BuildFailedException.class)
                .isNotInstanceOf(StaleRequestException.class)
                .hasMessageStartingWith("fetching " + url + " failed: there is no repository there");

        Path plain = Files.createDirectories(dir.resolve("plain"));
        Project notGit = new Project("app", plain.toUri().toString(), "main");
        assertThatThrownBy(() -> new Checkout(dir).checkout(new BuildRequest(1, notGit, new BuildRef.Branch("main"),
                COMMIT, BuildRequest.CommitCheck.AS_GIVEN), new BuildLog(new ByteArrayOutputStream())))
                .hasMessage("fetching " + plain.toUri() + " failed: there is no repository there (" + plain
                        + " is not a git repository)");
        // Reading its branches (a teardown's check, a build through the API) says it the same way.
        assertThatThrownBy(() -> new Checkout(dir).remoteHead(project, "main"))
                .isInstanceOf(BuildFailedException.class)
                .hasMessage("reading the branches of " + url + " failed: there is no repository there ("
                        + dir.resolve("nowhere.git") + " does not exist)");
    }

    @Test
    void anUnreachableHostIsAFetchFailureThatSaysSo() throws IOException {
        int port;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            port = socket.getLocalPort(); // closed again: nothing listens there
        }
        Project project = new Project("app", "http://ferry:s3cret@127.0.0.1:" + port + "/alice/shop.git", "main");
        assertThatThrownBy(() -> new Checkout(dir).checkout(new BuildRequest(1, project, new BuildRef.Branch("main"),
                COMMIT, BuildRequest.CommitCheck.AS_GIVEN), new BuildLog(new ByteArrayOutputStream())))
                .isInstanceOf(BuildFailedException.class)
                .hasMessageStartingWith("fetching http://***@127.0.0.1:" + port + "/alice/shop.git failed: the host "
                        + "cannot be reached (")
                .hasMessageNotContaining("s3cret");
    }

    /** A webhook's build of {@code commit} on {@code branch} of the repository at {@code remote}. */
    private Path webhookCheckout(Path remote, String branch, String commit) {
        Project project = new Project("app", remote.toUri().toString(), "main");
        return new Checkout(dir).checkout(new BuildRequest(1, project, new BuildRef.Branch(branch), commit,
                BuildRequest.CommitCheck.BRANCH_HEAD), new BuildLog(new ByteArrayOutputStream()));
    }

    private static String commitFile(org.eclipse.jgit.api.Git git, String text) throws Exception {
        Files.writeString(git.getRepository().getWorkTree().toPath().resolve("f"), text);
        git.add().addFilepattern("f").call();
        return git.commit().setMessage(text).setAuthor("t", "t@example.org").setCommitter("t", "t@example.org")
                .setSign(false).call().getName();
    }

    @Test
    void aWebhookBuildOfACommitTheRemoteNeverHadSaysSo() throws Exception {
        Path remote = dir.resolve("remote");
        try (org.eclipse.jgit.api.Git git = org.eclipse.jgit.api.Git.init().setDirectory(remote.toFile())
                .setInitialBranch("main").call()) {
            String pushed = commitFile(git, "one");
            assertThat(webhookCheckout(remote, "main", pushed).resolve("f")).hasContent("one");
            String url = remote.toUri().toString();

            // Committed, never pushed (or a mirror behind): the remote does not have it at all.
            assertThatThrownBy(() -> webhookCheckout(remote, "main", COMMIT))
                    .isInstanceOfSatisfying(StaleRequestException.class,
                            e -> assertThat(e.head()).contains(pushed))
                    .hasMessage("not built: commit " + Checkout.abbreviate(COMMIT) + " is not in " + url + " (a mirror "
                            + "that has not caught up, or a push that never reached it; or a force-push replaced it before "
                            + "it was fetched, and this is an old delivery); branch main is at "
                            + Checkout.abbreviate(pushed));
            // A branch never pushed, with a commit never pushed.
            assertThatThrownBy(() -> webhookCheckout(remote, "feature", COMMIT))
                    .isInstanceOf(StaleRequestException.class)
                    .hasMessage("not built: branch feature does not exist in " + url + ", and commit "
                            + Checkout.abbreviate(COMMIT) + " is not in it (a mirror that has not caught up, or a push "
                            + "that never reached it; or the branch was deleted after the push)");

            // A commit the remote had, no longer the head: the message for that stays.
            String second = commitFile(git, "two");
            assertThatThrownBy(() -> webhookCheckout(remote, "main", pushed))
                    .isInstanceOf(StaleRequestException.class)
                    .hasMessage("not built: branch main is at " + Checkout.abbreviate(second) + " now, not at "
                            + Checkout.abbreviate(pushed) + " (a newer push, or an old delivery sent again)");
            // A branch that was fetched, then deleted.
            git.branchCreate().setName("gone").call();
            assertThat(webhookCheckout(remote, "gone", second).resolve("f")).hasContent("two");
            git.branchDelete().setBranchNames("gone").call();
            assertThatThrownBy(() -> webhookCheckout(remote, "gone", second))
                    .isInstanceOf(StaleRequestException.class)
                    .hasMessage("not built: branch gone does not exist any more, so " + Checkout.abbreviate(second)
                            + " is not its head (deleted after the push, or an old delivery sent again)");
        }
    }

    @Test
    void aTreeCannotWriteThroughASymlinkOfItsOwn() throws IOException {
        Path outside = Files.createDirectories(dir.resolve("outside"));
        // Two entries named `a`, as no git client writes but a fetch accepts: a link out, then a directory.
        String commit = commitOf(dir.resolve("evil.git"), (repo, ins) -> {
            TreeFormatter inner = new TreeFormatter();
            inner.append("f", FileMode.REGULAR_FILE, blob(ins, "written outside\n"));
            TreeFormatter top = new TreeFormatter();
            top.append("a", FileMode.SYMLINK, blob(ins, outside.toString()));
            top.append("a", FileMode.TREE, ins.insert(inner));
            return ins.insert(top);
        });
        Project project = new Project("app", dir.resolve("evil.git").toUri().toString(), "main");
        assertThatThrownBy(() -> new Checkout(dir).checkout(new BuildRequest(1, project, new BuildRef.Branch("main"),
                commit, BuildRequest.CommitCheck.AS_GIVEN), new BuildLog(new ByteArrayOutputStream())))
                .isInstanceOf(BuildFailedException.class)
                .hasMessageContaining("the commit holds an unsafe path: a/ (a appears twice in its tree)");
        assertThat(outside).isEmptyDirectory();
    }

    @Test
    void noEntryIsWrittenThroughALinkInItsPath() throws IOException {
        // JGit's archive sends a directory's entry before its files, so a link and a directory of one name end at
        // "appears twice" above; this is the check behind it, for entries that come some other way.
        Path root = Files.createDirectories(dir.resolve("root"));
        Path outside = Files.createDirectories(dir.resolve("outside"));
        Checkout.DirectoryFormat format = new Checkout.DirectoryFormat();
        Checkout.DirectoryFormat.Target target = new Checkout.DirectoryFormat.Target(root);
        format.putEntry(target, ObjectId.zeroId(), "a", FileMode.SYMLINK, new org.eclipse.jgit.lib.ObjectLoader
                .SmallObject(Constants.OBJ_BLOB, outside.toString().getBytes(StandardCharsets.UTF_8)));
        assertThat(Files.readSymbolicLink(root.resolve("a"))).isEqualTo(outside);
        assertThatThrownBy(() -> format.putEntry(target, ObjectId.zeroId(), "a/f", FileMode.REGULAR_FILE,
                new org.eclipse.jgit.lib.ObjectLoader.SmallObject(Constants.OBJ_BLOB,
                        "x".getBytes(StandardCharsets.UTF_8))))
                .isInstanceOf(IOException.class)
                .hasMessage("the commit holds an unsafe path: a/f (a is a symbolic link)");
        assertThat(outside).isEmptyDirectory();
    }

    @Test
    void linksAmongTheCommitsOwnFilesAreKept() throws IOException {
        String commit = commitOf(dir.resolve("links.git"), (repo, ins) -> {
            TreeFormatter sub = new TreeFormatter();
            sub.append("f", FileMode.REGULAR_FILE, blob(ins, "inside\n"));
            TreeFormatter top = new TreeFormatter();
            top.append("link", FileMode.SYMLINK, blob(ins, "sub"));
            top.append("sub", FileMode.TREE, ins.insert(sub));
            return ins.insert(top);
        });
        Project project = new Project("app", dir.resolve("links.git").toUri().toString(), "main");
        Path out = new Checkout(dir).checkout(new BuildRequest(2, project, new BuildRef.Branch("main"), commit,
                BuildRequest.CommitCheck.AS_GIVEN),
                new BuildLog(new ByteArrayOutputStream()));
        assertThat(Files.readSymbolicLink(out.resolve("link"))).isEqualTo(Path.of("sub"));
        assertThat(out.resolve("link/f")).hasContent("inside");
    }

    private interface TreeWriter {
        ObjectId write(Repository repo, ObjectInserter ins) throws IOException;
    }

    private static ObjectId blob(ObjectInserter ins, String text) throws IOException {
        return ins.insert(Constants.OBJ_BLOB, text.getBytes(StandardCharsets.UTF_8));
    }

    /** A bare repository whose {@code main} is one commit of the tree {@code tree} writes; its id. */
    private static String commitOf(Path bare, TreeWriter tree) throws IOException {
        try (Repository repo = FileRepositoryBuilder.create(bare.toFile())) {
            repo.create(true);
            try (ObjectInserter ins = repo.newObjectInserter()) {
                CommitBuilder commit = new CommitBuilder();
                commit.setTreeId(tree.write(repo, ins));
                PersonIdent who = new PersonIdent("Ferry Test", "test@ferry.invalid");
                commit.setAuthor(who);
                commit.setCommitter(who);
                commit.setMessage("test\n");
                ObjectId id = ins.insert(commit);
                ins.flush();
                RefUpdate update = repo.updateRef("refs/heads/main");
                update.setNewObjectId(id);
                update.forceUpdate();
                return id.name();
            }
        }
    }
}
