package dev.ferry.builder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.assertThatNoException;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Which project and ref a deployment's row belongs to, and the build that would take another's name. */
class DeploymentTest {
    private static final Project SHOP = new Project("shop", "https://forge.example/shop.git", "main");
    private static final Project SHOP_API = new Project("shop-api", "https://forge.example/shop-api.git", "main");

    private static Deployment row(Project project, BuildRef ref) {
        return new Deployment(ref.deploymentName(project), project.name(), ref, "c".repeat(40), 1, 1,
                List.of(ref.deploymentName(project) + "-web"), List.of(), List.of(), Instant.EPOCH);
    }

    @Test
    void namesThatCollideBelongToTheirOwnProjectAndRefOnly() {
        Deployment main = row(SHOP, new BuildRef.Branch("main"));
        for (String branch : List.of("Main", "main.", "main_", "MAIN")) {
            assertThat(new BuildRef.Branch(branch).deploymentName(SHOP)).as(branch).isEqualTo("shop-main");
            assertThat(main.belongsTo("shop", new BuildRef.Branch(branch))).as(branch).isFalse();
        }
        assertThat(main.belongsTo("shop", new BuildRef.Branch("main"))).isTrue();
        assertThat(main.belongsTo("shop-api", new BuildRef.Branch("main"))).isFalse();

        Deployment apiMain = row(SHOP_API, new BuildRef.Branch("main"));
        assertThat(new BuildRef.Branch("api-main").deploymentName(SHOP)).isEqualTo(apiMain.name());
        assertThat(apiMain.belongsTo("shop", new BuildRef.Branch("api-main"))).isFalse();

        // A pull request is its number: its head branch as recorded does not matter, a branch named pr-3 is another.
        Deployment pr = row(SHOP, new BuildRef.PullRequest(3, "topic"));
        assertThat(pr.belongsTo("shop", new BuildRef.PullRequest(3, "renamed"))).isTrue();
        assertThat(new BuildRef.Branch("pr-3").deploymentName(SHOP)).isEqualTo(pr.name());
        assertThat(pr.belongsTo("shop", new BuildRef.Branch("pr-3"))).isFalse();
        assertThat(pr.belongsTo("shop", new BuildRef.PullRequest(4, "topic"))).isFalse();
    }

    @Test
    void aBuildOfAnotherRefThatMakesTheSameNameFailsNamingBothOwners() {
        assertThatThrownBy(() -> DefaultBuildPipeline.checkOwner(Optional.of(row(SHOP_API, new BuildRef.Branch("main"))),
                SHOP, new BuildRef.Branch("api-main")))
                .isInstanceOf(BuildFailedException.class)
                .hasMessage("deployment name shop-api-main belongs to project shop-api, branch main; rename branch "
                        + "api-main of project shop");
        assertThatThrownBy(() -> DefaultBuildPipeline.checkOwner(Optional.of(row(SHOP, new BuildRef.Branch("main"))),
                SHOP, new BuildRef.Branch("Main")))
                .hasMessage("deployment name shop-main belongs to project shop, branch main; rename branch Main of "
                        + "project shop");
        // A pull request cannot be renamed: the branch that took its name can.
        assertThatThrownBy(() -> DefaultBuildPipeline.checkOwner(Optional.of(row(SHOP, new BuildRef.Branch("pr-3"))),
                SHOP, new BuildRef.PullRequest(3, "topic")))
                .hasMessage("deployment name shop-pr-3 belongs to project shop, branch pr-3; rename branch pr-3 of "
                        + "project shop");
        assertThatThrownBy(() -> DefaultBuildPipeline.checkOwner(Optional.of(row(SHOP,
                new BuildRef.PullRequest(3, "topic"))), SHOP, new BuildRef.Branch("pr-3")))
                .hasMessage("deployment name shop-pr-3 belongs to project shop, pull request #3 (branch topic); "
                        + "rename branch pr-3 of project shop");
    }

    @Test
    void aBuildOfTheOwnerOrOfANewNamePasses() {
        assertThatNoException().isThrownBy(() -> DefaultBuildPipeline.checkOwner(
                Optional.of(row(SHOP, new BuildRef.Branch("main"))), SHOP, new BuildRef.Branch("main")));
        assertThatNoException().isThrownBy(() -> DefaultBuildPipeline.checkOwner(Optional.empty(), SHOP,
                new BuildRef.Branch("Main")));
    }
}
