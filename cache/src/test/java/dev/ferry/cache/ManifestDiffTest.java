package dev.ferry.cache;

import static dev.ferry.cache.ManifestFixtures.EXAMPLE;
import static dev.ferry.cache.ManifestFixtures.parse;
import static dev.ferry.cache.ManifestFixtures.parseService;
import static dev.ferry.cache.ManifestFixtures.service;
import static dev.ferry.cache.ManifestFixtures.storePath;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class ManifestDiffTest {

    @Test
    void sameContentHasNoDifferences() {
        Manifest m = parse(EXAMPLE);
        ManifestDiff diff = ManifestDiff.between(m, m);
        assertThat(diff.isEmpty()).isTrue();
        assertThat(diff.lines()).containsExactly("no differences in services or sites");
    }

    @Test
    void addedRemovedAndChangedServicesWithTheChangedFields() {
        Manifest before = parse(EXAMPLE);
        Manifest.Service web = before.service("web").orElseThrow();
        Manifest.Service changedWeb = new Manifest.Service(web.name(),
                Manifest.Artifact.nixClosure(storePath("web-1.2.4")), web.hosts(), web.exec(),
                java.util.Map.of("PORT", "8000", "AREA", "Live"), web.envFile(),
                web.http().map(h -> new Manifest.Http(h.domain(), h.aliases(), h.path(), OptionalInt.of(8001))), Optional.empty(),
                web.systemd(), web.hardening(), Optional.of("def456"));
        Manifest after = before.withService(changedWeb)
                .withoutService("worker")
                .withService(parseService(service("api", storePath("api"))))
                .withoutSite("docs");
        ManifestDiff diff = ManifestDiff.between(before, after);
        assertThat(diff.services()).extracting(ManifestDiff.Entry::name, ManifestDiff.Entry::kind).containsExactly(
                org.assertj.core.groups.Tuple.tuple("api", ManifestDiff.Kind.ADDED),
                org.assertj.core.groups.Tuple.tuple("web", ManifestDiff.Kind.CHANGED),
                org.assertj.core.groups.Tuple.tuple("worker", ManifestDiff.Kind.REMOVED));
        assertThat(diff.services().get(1).changes()).extracting(ManifestDiff.Change::field).containsExactly(
                "artifact.storePath", "env.BASE_URL", "env.AREA", "http.internalPort", "ready", "revision");
        assertThat(diff.lines()).containsExactly(
                "services:",
                "  + api",
                "  ~ web",
                "      artifact.storePath: \"" + storePath("web-1.2.3") + "\" -> \"" + storePath("web-1.2.4") + "\"",
                "      env.BASE_URL: \"https://example.org\" -> (absent)",
                "      env.AREA: (absent) -> \"Live\"",
                "      http.internalPort: 8000 -> 8001",
                "      ready: {\"http\":{\"path\":\"/healthz\",\"timeoutSeconds\":30}} -> (absent)",
                "      revision: \"abc123def\" -> \"def456\"",
                "  - worker",
                "sites:",
                "  - docs");
    }

    @Test
    void listsAreComparedWhole() {
        Manifest before = parse(EXAMPLE);
        Manifest.Site docs = before.site("docs").orElseThrow();
        Manifest after = before.withSite(new Manifest.Site("docs", docs.artifact(), List.of("a", "b"), docs.http(), false));
        assertThat(ManifestDiff.between(before, after).lines()).containsExactly(
                "sites:", "  ~ docs", "      hosts: [] -> [\"a\",\"b\"]", "      spa: true -> false");
    }
}
