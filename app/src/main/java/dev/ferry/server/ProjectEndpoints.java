package dev.ferry.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ferry.builder.BuildRecord;
import dev.ferry.builder.BuildRef;
import dev.ferry.builder.BuildStore;
import dev.ferry.builder.Project;
import dev.ferry.builder.ProjectStore;
import dev.ferry.webhook.BranchNames;
import dev.ferry.webhook.Events;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;

/** {@code GET /v1/projects}, {@code POST /v1/projects}, {@code POST /v1/projects/{name}/builds}. */
final class ProjectEndpoints {
    private final Builds builds;

    ProjectEndpoints(Builds builds) {
        this.builds = builds;
    }

    void list(ServerRequest request, ServerResponse response) {
        builds.auth.checkRead(request);
        Json.send(response, Status.OK_200, Map.of("projects", builds.projects.all().stream()
                .map(p -> Json.project(p.project(), p.source().name().toLowerCase(Locale.ROOT),
                        builds.secrets.hasOwn(p.project().name())))
                .toList()));
    }

    /**
     * Body {@code {"name", "cloneUrl", "productionBranch"?}} and no other field: 201, 409 if the name is taken or
     * another project has the repository (its clone URL the same once normalised as deliveries are matched).
     */
    void add(ServerRequest request, ServerResponse response) {
        builds.auth.check(request);
        JsonNode body = Json.readObject(request);
        Json.onlyFields(body, "name", "cloneUrl", "productionBranch");
        String name = Json.text(body, "name").orElseThrow(() -> Refusal.badRequest("name is missing"));
        if (!ProjectStore.NAME.matcher(name).matches()) {
            throw Refusal.badRequest("name must be lower-case letters, digits and '-', starting with a letter or "
                    + "digit, at most 40 characters");
        }
        String cloneUrl = Json.text(body, "cloneUrl").orElseThrow(() -> Refusal.badRequest("cloneUrl is missing"));
        try {
            BuilderSettings.checkCloneUrl("cloneUrl", cloneUrl);
        } catch (InvalidConfigException e) {
            // Not the value itself: a URL with a token in it stays out of answers (and of any proxy's log).
            throw Refusal.badRequest("cloneUrl is not a clone URL " + BuilderSettings.CLONE_URL_FORMS);
        }
        String branch = Json.text(body, "productionBranch").orElse("main");
        if (!BranchNames.valid(branch)) {
            throw Refusal.badRequest("productionBranch '" + Events.escaped(branch) + "' is not a valid branch name");
        }
        Project project = new Project(name, cloneUrl, branch);
        builds.projects.add(project).ifPresent(conflict -> {
            throw Refusal.conflict(switch (conflict.reason()) {
                case NAME -> "a project named " + name + " exists";
                // Its URL as the list shows it (credentials hidden), not the one sent: that may hold a token.
                case REPOSITORY -> "project " + conflict.project() + " has that repository already ("
                        + builds.project(conflict.project()).map(Project::redactedCloneUrl).orElse("its clone URL")
                        + "); a repository's webhooks can go to one project only";
            });
        });
        Json.send(response, Status.CREATED_201, Json.project(project, "api", false));
    }

    /**
     * Body {@code {"branch"?, "commit"?}} and no other field: builds the branch at {@code commit}, or at the head
     * the repository has now (read with ls-remote before the response). 202 with the build.
     */
    void build(ServerRequest request, ServerResponse response) {
        builds.auth.check(request);
        String name = request.path().pathParameters().get("name");
        Project project = builds.project(name).orElseThrow(() -> Refusal.notFound("no project named "
                + (ProjectStore.NAME.matcher(name).matches() ? name : "like that")));
        JsonNode body = Json.readObject(request, true); // both fields are optional
        Json.onlyFields(body, "branch", "commit");
        String branch = Json.text(body, "branch").orElse(project.productionBranch());
        if (!BranchNames.valid(branch)) {
            throw Refusal.badRequest("branch '" + Events.escaped(branch) + "' is not a valid branch name");
        }
        String commit = Json.text(body, "commit").map(c -> {
            if (!c.matches("[0-9a-f]{40}|[0-9a-f]{64}")) {
                throw Refusal.badRequest("commit must be a full commit id (40 or 64 lower-case hex digits)");
            }
            return c;
        }).orElseGet(() -> builds.heads.head(project.cloneUrl(), branch).orElseThrow(() ->
                Refusal.notFound("the repository of " + project.name() + " has no branch " + branch)));
        BuildRecord build = builds.queue.submit(BuildStore.NewBuild.build(project.name(), new BuildRef.Branch(branch),
                commit, BuildRecord.Trigger.API));
        Json.send(response, Status.ACCEPTED_202, Json.build(build, Instant.now()));
    }
}
