package dev.ferry.builder;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.cache.Manifest;
import dev.ferry.nix.StorePath;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ReleaseTest {
    private static final Project APP = new Project("app", "https://forge.example/app.git", "main");
    private static final StorePath WEB = StorePath.parse("/nix/store/5f6brpa4125pz4gy80vqpsnxpmk0zbnq-web");
    private static final StorePath DOCS = StorePath.parse("/nix/store/xz61vd3wfpkq97rgii9wca5bcjxdc6h9-docs");
    private static final String COMMIT = "4b3c1e5847b3d72c2e43ec50ba7c8d570f6e9a75";

    private static ProjectConfig config(String json) {
        return ProjectConfig.parse(json.replace('\'', '"').getBytes(StandardCharsets.UTF_8));
    }

    private static final ProjectConfig WEB_AND_DOCS = config("""
            {'services': {'web': {'package': 'web', 'exec': 'bin/web', 'http': {}, 'customDomain': 'app.example.org'},
                          'worker': {'package': 'web', 'exec': 'bin/worker'}},
             'sites': {'docs': {'package': 'docs', 'spa': true, 'customDomain': 'docs.example.org'}}}
            """);

    private static Release plan(BuildRef ref, ProjectConfig config) {
        return Release.plan(APP, ref, COMMIT, config, Map.of("web", WEB, "docs", DOCS), "ferry.example.org");
    }

    @Test
    void namesEntriesAfterTheDeploymentAndGivesEachHttpEntryItsDomain() {
        Release release = plan(new BuildRef.Branch("main"), WEB_AND_DOCS);

        assertThat(release.deployment()).isEqualTo("app-main");
        assertThat(release.names()).containsExactly("app-main-web", "app-main-worker", "app-main-docs");
        Manifest.Service web = release.services().getFirst();
        assertThat(web.http().orElseThrow().domains()).containsExactly("app-main-web.ferry.example.org",
                "app.example.org");
        assertThat(web.http().orElseThrow().internalPort()).isEmpty();
        assertThat(web.revision()).contains(COMMIT);
        assertThat(web.exec().command()).isEqualTo("bin/web");
        assertThat(release.services().get(1).http()).isEmpty();
        Manifest.Site docs = release.sites().getFirst();
        assertThat(docs.http().domains()).containsExactly("app-main-docs.ferry.example.org", "docs.example.org");
        assertThat(docs.spa()).isTrue();
        assertThat(release.domains()).containsExactly("app-main-web.ferry.example.org", "app.example.org",
                "app-main-docs.ferry.example.org", "docs.example.org");
    }

    @Test
    void aRouteAnotherEntryServesIsAClashNamingBothButItsOwnPreviousEntriesAreNot() {
        Release release = plan(new BuildRef.Branch("main"), WEB_AND_DOCS);
        Release other = Release.plan(new Project("shop", "https://forge.example/shop.git", "main"),
                new BuildRef.Branch("main"), COMMIT, config("""
                        {'sites': {'docs': {'package': 'docs', 'customDomain': 'docs.example.org'}}}
                        """), Map.of("docs", DOCS), "ferry.example.org");
        Manifest base = other.change(Set.of()).apply(Manifest.empty());

        assertThat(release.clash(release.change(Set.of()).apply(base)))
                .contains(new Release.Clash("docs.example.org/", "app-main-docs", "shop-main-docs"));
        // The release's own earlier entries are replaced, not clashed with: those it recorded, and those of the same
        // name it did not (written by hand, or by a release whose row was never saved).
        Manifest own = release.change(Set.of()).apply(Manifest.empty());
        assertThat(release.clash(release.change(Set.copyOf(release.names())).apply(own))).isEmpty();
        assertThat(release.clash(release.change(Set.of()).apply(own))).isEmpty();
        assertThat(other.clash(other.change(Set.of("shop-main-docs")).apply(base))).isEmpty();
    }

    @Test
    void customDomainsAreForTheProductionBranchOnly() {
        Release feature = plan(new BuildRef.Branch("feature/x"), WEB_AND_DOCS);
        assertThat(feature.domains()).containsExactly("app-feature-x-web.ferry.example.org",
                "app-feature-x-docs.ferry.example.org");
        Release pr = plan(new BuildRef.PullRequest(12, "main"), WEB_AND_DOCS);
        assertThat(pr.names()).containsExactly("app-pr-12-web", "app-pr-12-worker", "app-pr-12-docs");
        assertThat(pr.domains()).doesNotContain("app.example.org", "docs.example.org");
        assertThat(Release.withheld(APP, new BuildRef.PullRequest(12, "main"), WEB_AND_DOCS)).containsExactly(
                "service web: customDomain app.example.org is not routed here: custom domains go to the production "
                        + "branch's deployment only",
                "site docs: customDomain docs.example.org is not routed here: custom domains go to the production "
                        + "branch's deployment only");
        assertThat(Release.withheld(APP, new BuildRef.Branch("main"), WEB_AND_DOCS)).isEmpty();
    }

    @Test
    void envFilesAreForTheProductionBranchOnly() {
        ProjectConfig secrets = config("""
                {'services': {'api': {'package': 'web', 'exec': 'api', 'envFile': '/etc/shop/api.env'},
                              'web': {'package': 'web', 'exec': 'web', 'envFile': '/etc/shop/web.env'},
                              'worker': {'package': 'web', 'exec': 'worker'}}}
                """);
        Release main = plan(new BuildRef.Branch("main"), secrets);
        assertThat(main.services()).extracting(Manifest.Service::envFile)
                .containsExactly(Optional.of("/etc/shop/api.env"), Optional.of("/etc/shop/web.env"), Optional.empty());
        assertThat(Release.withheld(APP, new BuildRef.Branch("main"), secrets)).isEmpty();

        // A branch, and a pull request even from a head branch named main, run without them, and the log says so.
        for (BuildRef ref : List.<BuildRef>of(new BuildRef.Branch("feature/x"), new BuildRef.Branch("Main"),
                new BuildRef.PullRequest(12, "main"))) {
            assertThat(plan(ref, secrets).services()).as(ref.describe()).extracting(Manifest.Service::envFile)
                    .containsOnly(Optional.empty());
            assertThat(Release.withheld(APP, ref, secrets)).as(ref.describe()).containsExactly(
                    "service api: envFile /etc/shop/api.env is not used: secrets go to the production branch's "
                            + "deployment only",
                    "service web: envFile /etc/shop/web.env is not used: secrets go to the production branch's "
                            + "deployment only");
        }
    }

    @Test
    void theOnlyHttpEntryOrThePrimaryOneGetsTheDeploymentsOwnDomain() {
        Release only = plan(new BuildRef.Branch("main"), config(
                "{'services': {'web': {'package': 'web', 'exec': 'web', 'http': {}}, 'w': {'package': 'web', 'exec': 'w'}}}"));
        assertThat(only.services().get(1).name()).isEqualTo("app-main-web");
        assertThat(only.services().get(1).http().orElseThrow().domains())
                .containsExactly("app-main.ferry.example.org", "app-main-web.ferry.example.org");
        Release primary = plan(new BuildRef.Branch("dev"), config("""
                {'services': {'web': {'package': 'web', 'exec': 'web', 'http': {}}},
                 'sites': {'docs': {'package': 'docs', 'primary': true}}}
                """));
        assertThat(primary.sites().getFirst().http().domains())
                .containsExactly("app-dev.ferry.example.org", "app-dev-docs.ferry.example.org");
        assertThat(primary.services().getFirst().http().orElseThrow().domains())
                .containsExactly("app-dev-web.ferry.example.org");
    }

    @Test
    void aFixedPortIsTheInternalPortAndPort() {
        Release release = plan(new BuildRef.Branch("main"), config(
                "{'services': {'api': {'package': 'web', 'exec': 'api', 'http': {'port': 8000, 'path': '/api'}}}}"));
        Manifest.Service api = release.services().getFirst();
        assertThat(api.http().orElseThrow().internalPort()).hasValue(8000);
        assertThat(api.http().orElseThrow().path()).isEqualTo("/api");
        assertThat(api.env()).containsEntry("PORT", "8000");
    }

    @Test
    void longNamesAreShortenedToDistinctDnsLabels() {
        String branch = "feature/" + "a-very-long-branch-name-".repeat(4);
        String a = Release.entryName(new BuildRef.Branch(branch + "1").deploymentName(APP), "web");
        String b = Release.entryName(new BuildRef.Branch(branch + "2").deploymentName(APP), "web");
        assertThat(a).hasSize(63).matches("[a-z0-9][a-z0-9-]*[a-z0-9]").startsWith("app-feature-a-very-long");
        assertThat(b).hasSize(63).isNotEqualTo(a);
        assertThat(Release.label("x".repeat(63))).isEqualTo("x".repeat(63));
        assertThat(Release.label("x".repeat(64))).hasSize(63);
        // No dash doubled where the cut falls on one.
        assertThat(Release.label("a".repeat(53) + "-" + "b".repeat(20))).doesNotContain("--");
    }

    @Test
    void theChangeReplacesOnlyTheRecordedEntriesOfTheDeployment() {
        Manifest.Site other = new Manifest.Site("app-main-x-web", Manifest.Artifact.nixClosure(DOCS), List.of(),
                new Manifest.SiteHttp("app-main-x-web.ferry.example.org", List.of(), "/"), false);
        Manifest.Site old = new Manifest.Site("app-main-old", Manifest.Artifact.nixClosure(DOCS), List.of(),
                new Manifest.SiteHttp("app-main-old.ferry.example.org", List.of(), "/"), false);
        Manifest base = new Manifest(1, 4, Instant.EPOCH, "", List.of(), List.of(other, old));
        Release release = plan(new BuildRef.Branch("main"), WEB_AND_DOCS);

        // app-main owned app-main-old (recorded) and app-main-gone (already removed by hand): both are dropped,
        // app-main-x-web (another deployment's, although it starts with app-main-) stays.
        Manifest next = release.change(Set.of("app-main-old", "app-main-gone")).apply(base);

        assertThat(next.sites()).extracting(Manifest.Site::name).containsExactly("app-main-docs", "app-main-x-web");
        assertThat(next.services()).extracting(Manifest.Service::name).containsExactly("app-main-web",
                "app-main-worker");
        assertThat(release.change(Set.of()).apply(next).sameContent(next)).isTrue();
        assertThat(Release.remove(next, Set.of("app-main-web", "app-main-worker", "app-main-docs")).sites())
                .containsExactly(other);
        assertThat(Optional.of(next.generation())).contains(4L);
    }
}
