package dev.ferry.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class WebhookTest {
    private static final byte[] SECRET = "test-secret-0123456789".getBytes(StandardCharsets.UTF_8);
    private static final byte[] OTHER_SECRET = "another-secret-9876543210".getBytes(StandardCharsets.UTF_8);

    static byte[] resource(String name) {
        try (InputStream in = WebhookTest.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource " + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The headers a forge sends for {@code event} with {@code body} signed under {@code secret}. */
    static Map<String, String> headers(Forge forge, String event, byte[] body, byte[] secret) {
        Map<String, String> headers = new HashMap<>();
        headers.put(forge.eventHeader(), event);
        headers.put(forge.deliveryHeader(), "f6266f16-1bf3-46a5-9ea4-602e06ead473");
        headers.put(forge.signatureHeader(), forge.signaturePrefix() + Signatures.sign(secret, body));
        if (forge == Forge.GITEA || forge == Forge.FORGEJO) {
            // Gitea and Forgejo send GitHub's and Gogs' headers too; Forgejo sends Gitea's.
            headers.put("X-GitHub-Event", event);
            headers.put("X-Gogs-Event", event);
            if (forge == Forge.FORGEJO) {
                headers.put("X-Gitea-Event", event);
                headers.put("X-Gitea-Signature", Signatures.sign(secret, body));
            }
        }
        return headers;
    }

    static Delivery delivery(Map<String, String> headers) {
        Map<String, String> lower = new HashMap<>();
        headers.forEach((k, v) -> lower.put(k.toLowerCase(Locale.ROOT), v));
        return Delivery.fromHeaders(name -> Optional.ofNullable(lower.get(name.toLowerCase(Locale.ROOT))));
    }

    /** Verifies then parses, as the server does. */
    static WebhookEvent receive(Forge forge, String event, byte[] body) {
        Delivery delivery = delivery(headers(forge, event, body, SECRET));
        assertThat(delivery.forge()).isEqualTo(forge);
        Signatures.verify(delivery, body, List.of(SECRET));
        return Events.parse(delivery, body);
    }

    @Test
    void giteaPush() {
        WebhookEvent event = receive(Forge.GITEA, "push", resource("gitea-push.json"));
        assertThat(event).isEqualTo(new WebhookEvent.Push(new Repository("gitea/webhooks",
                "http://localhost:3000/gitea/webhooks.git", "http://localhost:3000/gitea/webhooks",
                Optional.of("ssh://gitea@localhost:2222/gitea/webhooks.git")), "develop",
                "bffeb74224043ba2feb48d137756c8a9331c449a", false));
    }

    @Test
    void forgejoPushIsDetectedAsForgejoThoughGiteaHeadersAreThere() {
        WebhookEvent event = receive(Forge.FORGEJO, "push", resource("forgejo-push.json"));
        WebhookEvent.Push push = (WebhookEvent.Push) event;
        assertThat(push.branch()).isEqualTo("main");
        assertThat(push.after()).isEqualTo("e4d4d5a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c");
        assertThat(push.repo().fullName()).isEqualTo("alice/shop");
        assertThat(push.deleted()).isFalse();
    }

    @Test
    void githubPushOfANewBranch() {
        WebhookEvent.Push push = (WebhookEvent.Push) receive(Forge.GITHUB, "push", resource("github-push-branch.json"));
        assertThat(push.branch()).isEqualTo("feature/Login-Page");
        assertThat(push.after()).isEqualTo("98248f0e892ce4e4e37411730ac98b53f2aa1261");
        assertThat(push.deleted()).isFalse();
    }

    @Test
    void githubPushDeletingABranch() {
        WebhookEvent.Push push = (WebhookEvent.Push) receive(Forge.GITHUB, "push", resource("github-push.json"));
        assertThat(push.branch()).isEqualTo("main");
        assertThat(push.deleted()).isTrue();
        assertThat(push.after()).isEqualTo("0000000000000000000000000000000000000000");
    }

    @Test
    void pushWithAZeroAfterIsADeletionEvenWithoutTheDeletedFlag() {
        byte[] body = new String(resource("gitea-push.json"), StandardCharsets.UTF_8)
                .replace("bffeb74224043ba2feb48d137756c8a9331c449a\",\n  \"compare_url",
                        "0000000000000000000000000000000000000000\",\n  \"compare_url")
                .getBytes(StandardCharsets.UTF_8);
        assertThat(((WebhookEvent.Push) receive(Forge.GITEA, "push", body)).deleted()).isTrue();
    }

    @Test
    void tagPushesAreIgnored() {
        WebhookEvent event = receive(Forge.GITHUB, "push", resource("github-push-tag.json"));
        assertThat(event).isInstanceOf(WebhookEvent.Ignored.class);
        assertThat(((WebhookEvent.Ignored) event).reason()).contains("refs/tags/simple-tag");
        assertThat(event.repository()).map(Repository::fullName).contains("Codertocat/Hello-World");
    }

    @Test
    void deleteOfABranchAndOfATag() {
        byte[] branch = resource("github-delete.json");
        assertThat(receive(Forge.GITHUB, "delete", branch)).isEqualTo(new WebhookEvent.BranchDeleted(
                new Repository("Codertocat/Hello-World", "https://github.com/Codertocat/Hello-World.git",
                        "https://github.com/Codertocat/Hello-World",
                        Optional.of("git@github.com:Codertocat/Hello-World.git")), "simple-tag"));
        byte[] tag = new String(branch, StandardCharsets.UTF_8).replace("\"ref_type\": \"branch\"", "\"ref_type\": \"tag\"")
                .getBytes(StandardCharsets.UTF_8);
        assertThat(receive(Forge.GITHUB, "delete", tag)).isInstanceOf(WebhookEvent.Ignored.class);
    }

    @Test
    void pullRequestOpenedAndClosed() {
        WebhookEvent.PullRequest opened = (WebhookEvent.PullRequest) receive(Forge.GITHUB, "pull_request",
                resource("github-pull-request.json"));
        assertThat(opened.action()).isEqualTo(WebhookEvent.PullRequest.Action.BUILD);
        assertThat(opened.number()).isEqualTo(2);
        assertThat(opened.headSha()).isEqualTo("ec26c3e57ca3a959ca5aad62de7213c562f8c821");
        assertThat(opened.headRef()).isEqualTo("changes");

        WebhookEvent.PullRequest closed = (WebhookEvent.PullRequest) receive(Forge.GITEA, "pull_request",
                resource("gitea-pull-request-closed.json"));
        assertThat(closed.action()).isEqualTo(WebhookEvent.PullRequest.Action.CLOSE);
        assertThat(closed.number()).isEqualTo(1);
        assertThat(closed.headRef()).isEqualTo("readme");
    }

    @Test
    void pullRequestSynchronizeBuildsAndLabelledIsIgnored() {
        String opened = new String(resource("github-pull-request.json"), StandardCharsets.UTF_8);
        byte[] synchronize = opened.replace("\"action\": \"opened\"", "\"action\": \"synchronize\"")
                .getBytes(StandardCharsets.UTF_8);
        byte[] giteaSynchronized = opened.replace("\"action\": \"opened\"", "\"action\": \"synchronized\"")
                .getBytes(StandardCharsets.UTF_8);
        byte[] labeled = opened.replace("\"action\": \"opened\"", "\"action\": \"labeled\"")
                .getBytes(StandardCharsets.UTF_8);
        assertThat(((WebhookEvent.PullRequest) receive(Forge.GITHUB, "pull_request", synchronize)).action())
                .isEqualTo(WebhookEvent.PullRequest.Action.BUILD);
        assertThat(((WebhookEvent.PullRequest) receive(Forge.GITEA, "pull_request", giteaSynchronized)).action())
                .isEqualTo(WebhookEvent.PullRequest.Action.BUILD);
        assertThat(receive(Forge.GITHUB, "pull_request", labeled)).isInstanceOf(WebhookEvent.Ignored.class);
    }

    @Test
    void aPullRequestKnowsWhetherItsHeadIsInAnotherRepository() throws Exception {
        WebhookEvent.PullRequest own = (WebhookEvent.PullRequest) receive(Forge.GITHUB, "pull_request",
                resource("github-pull-request.json"));
        assertThat(own.headRepo()).contains("Codertocat/Hello-World");
        assertThat(own.fromFork()).isFalse();
        // Gitea's payload as trimmed here names no head repository, only ids: the same id is the same repository.
        assertThat(((WebhookEvent.PullRequest) receive(Forge.GITEA, "pull_request",
                resource("gitea-pull-request-closed.json"))).fromFork()).isFalse();

        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        com.fasterxml.jackson.databind.node.ObjectNode fork =
                (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(resource("github-pull-request.json"));
        com.fasterxml.jackson.databind.node.ObjectNode head = (com.fasterxml.jackson.databind.node.ObjectNode)
                fork.path("pull_request").path("head");
        ((com.fasterxml.jackson.databind.node.ObjectNode) head.path("repo")).put("full_name", "mallory/Hello-World");
        WebhookEvent.PullRequest fromFork = (WebhookEvent.PullRequest) receive(Forge.GITHUB, "pull_request",
                json.writeValueAsBytes(fork));
        assertThat(fromFork.headRepo()).contains("mallory/Hello-World");
        assertThat(fromFork.fromFork()).isTrue();

        head.putNull("repo"); // GitHub's answer once the fork is deleted
        WebhookEvent.PullRequest unknown = (WebhookEvent.PullRequest) receive(Forge.GITHUB, "pull_request",
                json.writeValueAsBytes(fork));
        assertThat(unknown.headRepo()).isEmpty();
        assertThat(unknown.fromFork()).isTrue();
    }

    @Test
    void ping() {
        WebhookEvent event = receive(Forge.GITHUB, "ping", resource("github-ping.json"));
        assertThat(event).isInstanceOf(WebhookEvent.Ping.class);
        assertThat(event.repository()).map(Repository::fullName).contains("Codertocat/Hello-World");
    }

    @Test
    void unknownEventIsUnsupportedBeforeTheBodyIsRead() {
        Delivery delivery = delivery(headers(Forge.GITEA, "issues", "not json".getBytes(StandardCharsets.UTF_8),
                SECRET));
        assertThatThrownBy(() -> Events.parse(delivery, "not json".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOfSatisfying(WebhookException.class,
                        e -> assertThat(e.kind()).isEqualTo(WebhookException.Kind.UNSUPPORTED_EVENT))
                .hasMessageContaining("'issues'");
    }

    @Test
    void noForgeHeadersIsMalformed() {
        assertThatThrownBy(() -> delivery(Map.of("Content-Type", "application/json")))
                .isInstanceOfSatisfying(WebhookException.class,
                        e -> assertThat(e.kind()).isEqualTo(WebhookException.Kind.MALFORMED))
                .hasMessageContaining("X-GitHub-Event");
    }

    @Test
    void aMissingOrBadDeliveryIdIsMalformed() {
        for (Forge forge : Forge.values()) {
            Map<String, String> headers = new java.util.HashMap<>(headers(forge, "push", "{}".getBytes(
                    StandardCharsets.UTF_8), SECRET));
            headers.put(forge.deliveryHeader(), "  ");
            assertThatThrownBy(() -> delivery(headers)).isInstanceOfSatisfying(WebhookException.class,
                    e -> assertThat(e.kind()).isEqualTo(WebhookException.Kind.MALFORMED))
                    .hasMessage(forge.deliveryHeader() + " is missing: forges send one with every delivery, and Ferry "
                            + "needs it to recognise a delivery sent again");
            headers.remove(forge.deliveryHeader());
            assertThatThrownBy(() -> delivery(headers)).hasMessageStartingWith(forge.deliveryHeader() + " is missing");
            headers.put(forge.deliveryHeader(), "a b");
            assertThatThrownBy(() -> delivery(headers)).hasMessageContaining("is not printable ASCII");
        }
    }

    @Test
    void wrongSecretIsUnauthorized() {
        byte[] body = resource("gitea-push.json");
        Delivery delivery = delivery(headers(Forge.GITEA, "push", body, OTHER_SECRET));
        assertUnauthorized(() -> Signatures.verify(delivery, body, List.of(SECRET)), "does not match");
    }

    @Test
    void signatureOfAnotherBodyIsUnauthorized() {
        byte[] body = resource("github-push-branch.json");
        Delivery delivery = delivery(headers(Forge.GITHUB, "push", resource("github-push.json"), SECRET));
        assertUnauthorized(() -> Signatures.verify(delivery, body, List.of(SECRET)), "does not match");
        // a single changed byte is enough
        byte[] tampered = body.clone();
        tampered[tampered.length - 2] ^= 1;
        Delivery signed = delivery(headers(Forge.GITHUB, "push", body, SECRET));
        assertUnauthorized(() -> Signatures.verify(signed, tampered, List.of(SECRET)), "does not match");
    }

    @Test
    void missingSignatureIsUnauthorized() {
        byte[] body = resource("forgejo-push.json");
        Map<String, String> headers = headers(Forge.FORGEJO, "push", body, SECRET);
        headers.remove("X-Forgejo-Signature");
        // Forgejo's event header wins, and Gitea's signature header is not accepted in place of Forgejo's.
        assertUnauthorized(() -> Signatures.verify(delivery(headers), body, List.of(SECRET)), "X-Forgejo-Signature");
    }

    @Test
    void malformedSignaturesAreUnauthorized() {
        byte[] body = resource("github-push-branch.json");
        String good = Signatures.sign(SECRET, body);
        for (String bad : List.of(good, "sha1=" + good, "sha256=" + good.substring(2), "sha256=zz" + good.substring(2),
                "sha256=" + good + "00", "sha256=")) {
            Map<String, String> headers = headers(Forge.GITHUB, "push", body, SECRET);
            headers.put("X-Hub-Signature-256", bad);
            assertUnauthorized(() -> Signatures.verify(delivery(headers), body, List.of(SECRET)),
                    "malformed signature in X-Hub-Signature-256: expected sha256= and 64 hex digits");
        }
        Map<String, String> gitea = headers(Forge.GITEA, "push", body, SECRET);
        gitea.put("X-Gitea-Signature", "sha256=" + good);
        assertUnauthorized(() -> Signatures.verify(delivery(gitea), body, List.of(SECRET)),
                "malformed signature in X-Gitea-Signature: expected 64 hex digits");
    }

    @Test
    void githubPrefixIsCaseInsensitiveAndHexEitherCase() {
        byte[] body = resource("github-push-branch.json");
        Map<String, String> headers = headers(Forge.GITHUB, "push", body, SECRET);
        headers.put("X-Hub-Signature-256", "SHA256=" + Signatures.sign(SECRET, body).toUpperCase(Locale.ROOT));
        assertThat(Signatures.verify(delivery(headers), body, List.of(SECRET))).isZero();
    }

    @Test
    void verifyTellsWhichSecretMatched() {
        byte[] body = resource("gitea-push.json");
        Delivery delivery = delivery(headers(Forge.GITEA, "push", body, OTHER_SECRET));
        assertThat(Signatures.verify(delivery, body, List.of(SECRET, OTHER_SECRET))).isEqualTo(1);
    }

    @Test
    void signatureMatchesAnIndependentHmac() throws Exception {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?"
        assertThat(Signatures.sign("Jefe".getBytes(StandardCharsets.US_ASCII),
                "what do ya want for nothing?".getBytes(StandardCharsets.US_ASCII)))
                .isEqualTo("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }

    @Test
    void malformedJsonIsMalformedOnlyAfterTheSignatureChecks() {
        byte[] body = "{\"ref\": \"refs/heads/main\",".getBytes(StandardCharsets.UTF_8);
        Delivery delivery = delivery(headers(Forge.GITEA, "push", body, SECRET));
        Signatures.verify(delivery, body, List.of(SECRET));
        assertThatThrownBy(() -> Events.parse(delivery, body))
                .isInstanceOfSatisfying(WebhookException.class,
                        e -> assertThat(e.kind()).isEqualTo(WebhookException.Kind.MALFORMED))
                .hasMessageContaining("not JSON");
        byte[] form = "payload=%7B%22ref%22%3A%22refs%2Fheads%2Fmain%22%7D".getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> receive(Forge.GITHUB, "push", form)).hasMessageEndingWith("the body is a form "
                + "(application/x-www-form-urlencoded), not JSON: set the webhook's content type to application/json");
    }

    @Test
    void missingFieldsAreNamed() {
        byte[] body = "{\"ref\": \"refs/heads/main\", \"after\": \"bffeb74224043ba2feb48d137756c8a9331c449a\"}"
                .getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> receive(Forge.GITEA, "push", body)).hasMessageContaining("repository");
        byte[] noCommit = new String(resource("gitea-push.json"), StandardCharsets.UTF_8)
                .replace("\"after\": \"bffeb74224043ba2feb48d137756c8a9331c449a\"", "\"after\": \"HEAD\"")
                .getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> receive(Forge.GITEA, "push", noCommit)).hasMessageContaining("after is not a commit");
        assertThatThrownBy(() -> receive(Forge.GITHUB, "push", "[1, 2]".getBytes(StandardCharsets.UTF_8)))
                .hasMessageContaining("not a JSON object");
    }

    @Test
    void badDeliveryIdIsMalformed() {
        byte[] body = resource("gitea-push.json");
        Map<String, String> headers = headers(Forge.GITEA, "push", body, SECRET);
        headers.put("X-Gitea-Delivery", "x".repeat(200));
        assertThatThrownBy(() -> delivery(headers)).isInstanceOf(WebhookException.class)
                .hasMessageContaining("X-Gitea-Delivery");
    }

    @Test
    void bodiesOverTheLimitAreRefusedWithoutReadingThemWhole() {
        byte[] big = new byte[1 << 20];
        assertThat(Bodies.read(new ByteArrayInputStream(big), big.length)).hasSize(big.length);
        int[] read = {0};
        InputStream endless = new InputStream() {
            @Override
            public int read() {
                read[0]++;
                return 'x';
            }

            @Override
            public int read(byte[] b, int off, int len) {
                read[0] += len;
                return len;
            }
        };
        assertThatThrownBy(() -> Bodies.read(endless, 1 << 20))
                .isInstanceOfSatisfying(WebhookException.class,
                        e -> assertThat(e.kind()).isEqualTo(WebhookException.Kind.TOO_LARGE));
        assertThat(read[0]).isLessThan((1 << 20) + 16384);
    }

    @Test
    void repositoryMatchesProjectCloneUrls() {
        Repository repo = new Repository("alice/shop", "https://codeberg.example/alice/shop.git",
                "https://codeberg.example/alice/shop", Optional.of("git@codeberg.example:alice/shop.git"));
        assertThat(repo.match("https://codeberg.example/alice/shop.git")).isPresent();
        assertThat(repo.match("https://Codeberg.Example/alice/shop/")).isPresent();
        assertThat(repo.match("git@codeberg.example:alice/shop.git")).isPresent();
        assertThat(repo.match("file:///srv/git/alice/shop.git")).isPresent();
        assertThat(repo.match("https://codeberg.example/alice/shopping.git")).isEmpty();
        assertThat(repo.match("https://codeberg.example/bob/shop.git")).isEmpty();
    }

    @Test
    void anExactUrlMatchIsStrongerThanTheFullNameSuffix() {
        Repository repo = new Repository("alice/shop", "file:///srv/git/alice/shop.git",
                "https://codeberg.example/alice/shop", Optional.of("git@codeberg.example:alice/shop.git"));
        assertThat(repo.match("file:///srv/git/alice/shop.git/")).contains(Repository.Match.EXACT);
        assertThat(repo.match("https://Codeberg.Example/alice/shop.git")).contains(Repository.Match.EXACT);
        assertThat(repo.match("git@codeberg.example:alice/shop")).contains(Repository.Match.EXACT);
        assertThat(repo.match("https://mirror.example/alice/shop.git")).contains(Repository.Match.FULL_NAME);
        assertThat(repo.match("git@mirror.example:alice/shop.git")).contains(Repository.Match.FULL_NAME);
        assertThat(repo.match("https://mirror.example/acc/shop.git")).isEmpty();
        assertThat(Repository.Match.EXACT.compareTo(Repository.Match.FULL_NAME)).isGreaterThan(0);
    }

    @Test
    void twoCloneUrlsAreTheSameRepositoryOnceNormalised() {
        assertThat(Repository.sameRepository("https://git.example/alice/shop.git",
                "HTTPS://git.EXAMPLE/alice/shop.git/")).isTrue();
        assertThat(Repository.sameRepository("https://bot:t0ken@git.example/alice/shop",
                "https://git.example/alice/shop.git")).isTrue();
        assertThat(Repository.sameRepository("file:///srv/shop.git", "file:///srv/shop.git/")).isTrue();
        // Forges name a repository without regard to case; a local path's case matters.
        assertThat(Repository.sameRepository("https://git.example/alice/shop.git",
                "https://git.example/Alice/Shop.git")).isTrue();
        assertThat(Repository.sameRepository("file:///srv/git/shop.git", "file:///srv/git/Shop.git")).isFalse();
        assertThat(Repository.sameRepository("https://git.example/alice/shop.git",
                "https://mirror.example/alice/shop.git")).isFalse();
        // A delivery's clone URL and its SSH URL are one repository: two projects with them would claim it equally.
        assertThat(Repository.sameRepository("https://github.com/alice/shop.git", "git@github.com:alice/shop.git"))
                .isTrue();
        assertThat(Repository.sameRepository("ssh://git@GitHub.com:22/alice/shop", "git@github.com:alice/shop.git"))
                .isTrue();
        assertThat(Repository.sameRepository("git@github.com:alice/shop.git", "git@github.com:bob/shop.git"))
                .isFalse();
        assertThat(Repository.sameRepository("/srv/git/shop.git", "/srv/git/shop")).isTrue();
    }

    /**
     * The zero commit id is 40 zeros, or 64 in a SHA-256 repository: either as {@code after} is a deletion. Both as
     * {@code before} and {@code after} is no push at all (Gitea's "Test Delivery"): ignored, nothing torn down.
     */
    @Test
    void aZeroAfterIsADeletionInEitherHashAndZeroBothSidesIsATestDelivery() throws Exception {
        com.fasterxml.jackson.databind.node.ObjectNode body = (com.fasterxml.jackson.databind.node.ObjectNode)
                new com.fasterxml.jackson.databind.ObjectMapper().readTree(resource("gitea-push.json"));
        body.put("after", "0".repeat(64));
        WebhookEvent.Push deleted = (WebhookEvent.Push) receive(Forge.GITEA, "push",
                body.toString().getBytes(StandardCharsets.UTF_8));
        assertThat(deleted.deleted()).isTrue();
        body.put("before", "0".repeat(40));
        body.put("after", "0".repeat(40));
        assertThat(receive(Forge.GITEA, "push", body.toString().getBytes(StandardCharsets.UTF_8)))
                .isInstanceOfSatisfying(WebhookEvent.Ignored.class, ignored -> assertThat(ignored.reason())
                        .isEqualTo("before and after are both the zero commit id (a forge's test delivery): nothing "
                                + "to build or tear down"));
    }

    @Test
    void aPushToABranchNameGitRefusesIsMalformedAndNamesTheRefEscaped() throws Exception {
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        String body = new String(resource("gitea-push.json"), StandardCharsets.UTF_8);
        for (String ref : List.of("refs/heads/", "refs/heads/a b", "refs/heads/../../etc", "refs/heads/a\nb",
                "refs/heads/feat~1", "refs/heads/x.lock", "refs/heads/a//b", "refs/heads/.hidden",
                "refs/heads/a@{1}", "refs/heads/end.", "refs/heads/col:on", "refs/heads/\u001b[31mred")) {
            byte[] bad = body.replace("\"refs/heads/develop\"", json.writeValueAsString(ref))
                    .getBytes(StandardCharsets.UTF_8);
            assertThatThrownBy(() -> receive(Forge.GITEA, "push", bad), ref)
                    .isInstanceOfSatisfying(WebhookException.class,
                            e -> assertThat(e.kind()).isEqualTo(WebhookException.Kind.MALFORMED))
                    .hasMessageStartingWith("ref ")
                    .hasMessageContaining("is not a valid branch name")
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContainPattern("[\\x00-\\x1f\\x7f]"));
        }
        byte[] newline = body.replace("\"refs/heads/develop\"", "\"refs/heads/a\\nb\"")
                .getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> receive(Forge.GITEA, "push", newline))
                .hasMessage("ref 'refs/heads/a\\nb' is not a valid branch name");
        byte[] deleted = new String(resource("github-delete.json"), StandardCharsets.UTF_8)
                .replace("\"simple-tag\"", "\"a b\"").getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> receive(Forge.GITHUB, "delete", deleted))
                .hasMessage("ref 'a b' is not a valid branch name");
        for (String ref : List.of("refs/heads/HEAD", "refs/heads/a\u0085b")) {
            byte[] bad = body.replace("\"refs/heads/develop\"", json.writeValueAsString(ref))
                    .getBytes(StandardCharsets.UTF_8);
            assertThatThrownBy(() -> receive(Forge.GITEA, "push", bad), ref)
                    .hasMessageContaining("is not a valid branch name")
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\u0085"));
        }
        // A pull request's head branch goes by the same rule.
        String pr = new String(resource("github-pull-request.json"), StandardCharsets.UTF_8);
        String headRef = json.readTree(pr).path("pull_request").path("head").path("ref").asText();
        byte[] badHead = pr.replace("\"ref\": \"" + headRef + "\"", "\"ref\": \"a b\"")
                .getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> receive(Forge.GITHUB, "pull_request", badHead))
                .hasMessage("pull_request.head.ref 'a b' is not a valid branch name");
        // What git allows stays allowed.
        for (String ok : List.of("main", "feature/Login-Page", "release-1.2", "a.b/c_d", "@x", "v1@2")) {
            byte[] good = body.replace("\"refs/heads/develop\"", "\"refs/heads/" + ok + "\"")
                    .getBytes(StandardCharsets.UTF_8);
            assertThat(((WebhookEvent.Push) receive(Forge.GITEA, "push", good)).branch()).isEqualTo(ok);
        }
    }

    private static void assertUnauthorized(Runnable call, String message) {
        assertThatThrownBy(call::run)
                .isInstanceOfSatisfying(WebhookException.class,
                        e -> assertThat(e.kind()).isEqualTo(WebhookException.Kind.UNAUTHORIZED))
                .hasMessageContaining(message);
    }
}
