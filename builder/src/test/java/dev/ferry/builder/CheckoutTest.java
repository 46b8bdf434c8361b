package dev.ferry.builder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckoutTest {
    private static final String COMMIT = "4b3c1e5847b3d72c2e43ec50ba7c8d570f6e9a75";

    @TempDir
    Path dir;

    private void checkout(BuildRef ref, String commit) {
        Project project = new Project("app", dir.resolve("nowhere.git").toUri().toString(), "main");
        new Checkout(dir).checkout(new BuildRequest(1, project, ref, commit),
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
    void aBranchNameCannotSmuggleARefspec() {
        assertThatThrownBy(() -> checkout(new BuildRef.Branch("main:refs/heads/other"), COMMIT))
                .isInstanceOf(BuildFailedException.class)
                .hasMessage("'refs/heads/main:refs/heads/other' is not a valid git ref name");
        assertThatThrownBy(() -> checkout(new BuildRef.Branch("a..b"), COMMIT))
                .hasMessage("'refs/heads/a..b' is not a valid git ref name");
    }

    @Test
    void anUnreachableRemoteIsAClearFailure() {
        assertThatThrownBy(() -> checkout(new BuildRef.Branch("main"), COMMIT))
                .isInstanceOf(BuildFailedException.class)
                .hasMessageStartingWith("checking out " + COMMIT + " failed: ");
        assertThat(dir.resolve("work/1")).doesNotExist();
    }
}
