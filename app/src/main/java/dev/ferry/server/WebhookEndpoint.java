package dev.ferry.server;

import dev.ferry.builder.BuildRecord;
import dev.ferry.builder.BuildRef;
import dev.ferry.builder.BuildStore;
import dev.ferry.builder.Project;
import dev.ferry.builder.ProjectStore;
import dev.ferry.webhook.Bodies;
import dev.ferry.webhook.Delivery;
import dev.ferry.webhook.Events;
import dev.ferry.webhook.Repository;
import dev.ferry.webhook.Signatures;
import dev.ferry.webhook.WebhookEvent;
import dev.ferry.webhook.WebhookException;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code POST /webhook}. In order, each refusal with nothing recorded: the body over the limit (413); no forge
 * headers (400); the signature missing, malformed or wrong (401), checked before any of the body is parsed; an event
 * type Ferry does not handle (422); malformed JSON or an invalid branch name (400); a repository that is no project
 * (404), or that several projects claim equally (409); a signature under a secret other than the project's own (401).
 * A ping is answered only then (200; one that names no repository after the signature check). Then a build or
 * teardown is recorded and queued (202), or the earlier build of a repeated delivery id returned (200). No git or
 * nix work happens before the response.
 *
 * <p>The signature covers the body only, not the delivery id: an old body can come again under a new id and is
 * recorded like any delivery. What it claims is checked against the repository when it runs (the queue asks the
 * pipeline for {@link dev.ferry.builder.BuildRequest.CommitCheck#BRANCH_HEAD}, and a branch's teardown checks that
 * the branch is gone), so an old push or delete changes nothing (docs/api.md, "Deliveries sent again").
 */
final class WebhookEndpoint implements Handler {
    private static final System.Logger LOG = System.getLogger(WebhookEndpoint.class.getName());
    private final Builds builds;

    WebhookEndpoint(Builds builds) {
        this.builds = builds;
    }

    @Override
    public void handle(ServerRequest request, ServerResponse response) {
        long limit = builds.settings.maxWebhookBodySize();
        if (request.headers().contentLength().orElse(0) > limit) {
            throw tooLarge(limit);
        }
        // The headers first: a request that is no delivery is refused before its body is read.
        Delivery delivery = Delivery.fromHeaders(name -> request.headers().first(HeaderNames.create(name)));
        byte[] body;
        try (InputStream in = request.content().inputStream()) {
            body = Bodies.read(in, limit);
        } catch (IOException | UncheckedIOException e) {
            throw Refusal.badRequest("the request body ended early"); // the client's doing, as for uploads
        }
        List<byte[]> secrets = builds.secrets.all();
        if (secrets.isEmpty()) {
            throw new WebhookException(WebhookException.Kind.UNAUTHORIZED,
                    "no webhook secret is configured on this server (ferry.webhook.secret-file)");
        }
        byte[] secret = secrets.get(Signatures.verify(delivery, body, secrets));
        WebhookEvent event = Events.parse(delivery, body);
        if (event instanceof WebhookEvent.Ping ping && ping.repository().isEmpty()) {
            // GitHub's organisation and app hooks: no repository to check, only the signature (above).
            Json.send(response, Status.OK_200, Map.of("event", "ping", "forge", delivery.forge().id()));
            return;
        }
        Project project = project(event, secret);
        if (!builds.secrets.accepts(project.name(), secret)) {
            throw new WebhookException(WebhookException.Kind.UNAUTHORIZED,
                    "signature does not match the webhook secret of project " + project.name());
        }
        if (event instanceof WebhookEvent.Ping) {
            // Checked as a push is, so that the forge's test shows what its pushes will get.
            Json.send(response, Status.OK_200, Map.of("event", "ping", "forge", delivery.forge().id(), "project",
                    project.name()));
            return;
        }
        Decision decision = switch (event) {
            case WebhookEvent.Push push when push.deleted() -> new Queue(BuildStore.NewBuild.teardown(project.name(),
                    new BuildRef.Branch(push.branch()), BuildRecord.Trigger.WEBHOOK));
            case WebhookEvent.Push push -> new Queue(BuildStore.NewBuild.build(project.name(),
                    new BuildRef.Branch(push.branch()), push.after(), BuildRecord.Trigger.WEBHOOK));
            case WebhookEvent.BranchDeleted deleted -> new Queue(BuildStore.NewBuild.teardown(project.name(),
                    new BuildRef.Branch(deleted.branch()), BuildRecord.Trigger.WEBHOOK));
            // Its code would run on this server's builders and, deployed, on the hosts, with whatever the deployment
            // can reach: only the repository's own people may have that unless the operator says otherwise.
            case WebhookEvent.PullRequest pr when pr.action() == WebhookEvent.PullRequest.Action.BUILD
                    && pr.fromFork() && !builds.settings.forkPullRequests() -> new Ignore("pull request #"
                    + pr.number() + " is from " + pr.headRepo().map(name -> "another repository, " + name)
                    .orElse("a repository the forge does not name") + "; pull requests from forks are built only "
                    + "with " + BuilderSettings.FORK_PULL_REQUESTS + ": true");
            case WebhookEvent.PullRequest pr -> {
                BuildRef ref = new BuildRef.PullRequest(pr.number(), pr.headRef());
                yield new Queue(pr.action() == WebhookEvent.PullRequest.Action.CLOSE
                        ? BuildStore.NewBuild.teardown(project.name(), ref, BuildRecord.Trigger.WEBHOOK)
                        : BuildStore.NewBuild.build(project.name(), ref, pr.headSha(), BuildRecord.Trigger.WEBHOOK));
            }
            case WebhookEvent.Ignored ignored -> new Ignore(ignored.reason());
            case WebhookEvent.Ping ping -> throw new IllegalStateException("a ping was answered above");
        };
        if (!(decision instanceof Queue(BuildStore.NewBuild build))) {
            Json.send(response, Status.ACCEPTED_202, Map.of("ignored", ((Ignore) decision).reason(), "project",
                    project.name()));
            return;
        }
        BuildStore.Recorded recorded = builds.queue.submitForDelivery(delivery.forge().id(), delivery.event(),
                delivery.id(), build);
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("duplicate", !recorded.created());
        answer.put("build", Json.build(recorded.build(), Instant.now()));
        Json.send(response, recorded.created() ? Status.ACCEPTED_202 : Status.OK_200, answer);
    }

    /** What a delivery asks of the queue: a build (or teardown) to queue, or nothing, and why. */
    private sealed interface Decision permits Queue, Ignore {
    }

    private record Queue(BuildStore.NewBuild build) implements Decision {
    }

    private record Ignore(String reason) implements Decision {
    }

    /**
     * The project the event's repository is: the one whose clone URL is one of the repository's URLs, else the one
     * whose clone URL ends in its full name. Several equally good: refused (409), naming them, rather than one chosen
     * by name order; but 401 without names if {@code secret} is not one every one of them accepts.
     */
    private Project project(WebhookEvent event, byte[] secret) {
        var repository = event.repository().orElseThrow(() -> new WebhookException(
                WebhookException.Kind.MALFORMED, "repository is missing"));
        Map<Repository.Match, List<Project>> matches = new EnumMap<>(Repository.Match.class);
        for (ProjectStore.StoredProject stored : builds.projects.all()) {
            repository.match(stored.project().cloneUrl()).ifPresent(match -> matches
                    .computeIfAbsent(match, m -> new ArrayList<>()).add(stored.project()));
        }
        String name = Events.printable(repository.fullName());
        Repository.Match best = matches.keySet().stream().max(Comparator.naturalOrder()).orElseThrow(() ->
                new WebhookException(WebhookException.Kind.UNKNOWN_REPOSITORY, "repository " + name
                        + " is not a project of this Ferry"));
        List<Project> projects = matches.get(best);
        if (projects.size() > 1 && projects.stream().anyMatch(p -> !builds.secrets.accepts(p.name(), secret))) {
            // Only a sender whose signature every claimant accepts learns which projects claim the repository; the
            // server's log names them for its operator.
            LOG.log(System.Logger.Level.WARNING, "webhook: repository {0} is claimed equally by projects {1}, which "
                    + "do not share a webhook secret; its deliveries are refused until one of them is removed", name,
                    String.join(", ", projects.stream().map(Project::name).toList()));
            throw new WebhookException(WebhookException.Kind.UNAUTHORIZED, "repository " + name + " is claimed by "
                    + "several projects, and not every one of them accepts this signature: its deliveries are refused "
                    + "until the server's operator keeps one of them (the server's log names them)");
        }
        if (projects.size() > 1) {
            String names = String.join(", ", projects.stream().map(Project::name).toList());
            throw Refusal.conflict("repository " + name + " is claimed equally by projects " + names + (best
                    == Repository.Match.EXACT ? " (each has its URL); a delivery goes to one project only: keep one "
                    + "of them" : " (each ends in /" + name + "); a delivery goes to one project only: keep one of "
                    + "them, or give one the repository's own URL"));
        }
        return projects.getFirst();
    }

    private static WebhookException tooLarge(long limit) {
        return new WebhookException(WebhookException.Kind.TOO_LARGE,
                "the body is larger than " + limit + " bytes (ferry.webhook.max-body-size)");
    }
}
