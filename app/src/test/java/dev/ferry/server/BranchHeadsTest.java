package dev.ferry.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import org.junit.jupiter.api.Test;

class BranchHeadsTest {
    @Test
    void aRemoteThatCannotBeReadIsReportedWithoutTheTokenInItsUrl() {
        // Nothing listens on port 1; the token sits where JGit does not hide it: the URL's user name.
        BranchHeads.BranchUnreadableException e = catchThrowableOfType(BranchHeads.BranchUnreadableException.class,
                () -> BranchHeads.jgit().head("https://ghp_s3cretToken0123@127.0.0.1:1/alice/shop.git", "main"));
        assertThat(e).hasMessageStartingWith("the repository cannot be read: ").hasNoCause();
        assertThat(e.getMessage()).contains("https://***@127.0.0.1:1/alice/shop.git").doesNotContain("s3cret");
    }
}
