package dev.ferry.webhook;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.Optional;
import java.util.Set;

/**
 * Parses a verified body into a {@link WebhookEvent}. Call it only after {@link Signatures#verify}: nothing of an
 * unsigned body is ever parsed. Forgejo and Gitea share one payload format; GitHub's differs in a few names.
 */
public final class Events {
    /** The event types Ferry handles; any other is {@link WebhookException.Kind#UNSUPPORTED_EVENT}. */
    public static final Set<String> HANDLED = Set.of("push", "delete", "pull_request", "ping");
    private static final java.util.regex.Pattern COMMIT = java.util.regex.Pattern.compile("[0-9a-f]{40}|[0-9a-f]{64}");

    private static final ObjectMapper JSON = new ObjectMapper();
    /** The id a forge sends for "no commit" (a branch created or deleted): 40 zeros, or 64 in a SHA-256 repository. */
    private static final java.util.regex.Pattern ZERO_COMMIT = java.util.regex.Pattern.compile("0{40}|0{64}");
    private static final String BRANCH_PREFIX = "refs/heads/";

    private Events() {
    }

    /** Fails when the event type is not handled (checked first, so the body is not parsed for it). */
    public static void checkHandled(Delivery delivery) {
        if (!HANDLED.contains(delivery.event())) {
            throw new WebhookException(WebhookException.Kind.UNSUPPORTED_EVENT, "unsupported event '"
                    + printable(delivery.event()) + "': Ferry handles push, delete, pull_request and ping");
        }
    }

    public static WebhookEvent parse(Delivery delivery, byte[] body) {
        checkHandled(delivery);
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (JacksonException e) {
            if (body.length > 8 && new String(body, 0, 8, java.nio.charset.StandardCharsets.US_ASCII)
                    .equals("payload=")) {
                // GitHub's default content type: the JSON, URL-encoded, in a form field.
                throw malformed("the body is a form (application/x-www-form-urlencoded), not JSON: set the "
                        + "webhook's content type to application/json");
            }
            throw malformed("the body is not JSON (" + e.getOriginalMessage() + ")");
        } catch (IOException e) {
            throw malformed("the body is not JSON");
        }
        if (root == null || !root.isObject()) {
            throw malformed("the body is not a JSON object");
        }
        return switch (delivery.event()) {
            case "push" -> push(root);
            case "delete" -> delete(root);
            case "pull_request" -> pullRequest(root);
            case "ping" -> new WebhookEvent.Ping(root.has("repository")
                    ? Optional.of(repository(root)) : Optional.empty());
            default -> throw new IllegalStateException(delivery.event());
        };
    }

    private static WebhookEvent push(JsonNode root) {
        Repository repository = repository(root);
        String ref = text(root, "ref");
        if (!ref.startsWith(BRANCH_PREFIX)) {
            return new WebhookEvent.Ignored(Optional.of(repository), "not a branch: " + printable(ref));
        }
        String branch = branch(ref.substring(BRANCH_PREFIX.length()), "ref", ref);
        String after = text(root, "after");
        if (!root.path("deleted").asBoolean(false) && ZERO_COMMIT.matcher(after).matches()
                && ZERO_COMMIT.matcher(root.path("before").asText("")).matches()) {
            // No commit before and none after, and not said to be a deletion (GitHub says so): no push a repository
            // can have. Gitea's "Test Delivery" sends this.
            return new WebhookEvent.Ignored(Optional.of(repository), "before and after are both the zero commit id "
                    + "(a forge's test delivery): nothing to build or tear down");
        }
        boolean deleted = root.path("deleted").asBoolean(false) || ZERO_COMMIT.matcher(after).matches();
        if (!deleted) {
            commit(after, "after");
        }
        return new WebhookEvent.Push(repository, branch, after, deleted);
    }

    private static WebhookEvent delete(JsonNode root) {
        Repository repository = repository(root);
        String refType = text(root, "ref_type");
        String ref = text(root, "ref");
        if (!refType.equals("branch")) {
            return new WebhookEvent.Ignored(Optional.of(repository), "deleted a " + printable(refType));
        }
        String branch = ref.startsWith(BRANCH_PREFIX) ? ref.substring(BRANCH_PREFIX.length()) : ref;
        return new WebhookEvent.BranchDeleted(repository, branch(branch, "ref", ref));
    }

    private static WebhookEvent pullRequest(JsonNode root) {
        Repository repository = repository(root);
        String action = text(root, "action");
        WebhookEvent.PullRequest.Action kind = switch (action) {
            case "opened", "reopened", "synchronize", "synchronized" -> WebhookEvent.PullRequest.Action.BUILD;
            case "closed" -> WebhookEvent.PullRequest.Action.CLOSE;
            default -> null;
        };
        if (kind == null) {
            return new WebhookEvent.Ignored(Optional.of(repository), "pull request " + printable(action));
        }
        JsonNode number = root.path("number");
        if (!number.canConvertToInt() || number.asInt() <= 0) {
            throw malformed("number is missing or not a positive integer");
        }
        JsonNode head = root.path("pull_request").path("head");
        String sha = commit(text(head, "sha", "pull_request.head.sha"), "pull_request.head.sha");
        Optional<String> headRepo = Optional.ofNullable(head.path("repo").get("full_name"))
                .filter(JsonNode::isTextual).map(JsonNode::asText);
        JsonNode headId = head.path("repo_id");
        JsonNode baseId = root.path("pull_request").path("base").path("repo_id");
        // GitHub and Gitea name the head's repository (null once a fork is deleted); Gitea also gives ids. A pull
        // request whose origin cannot be told counts as a fork's.
        boolean fromFork = headRepo.map(name -> !name.equalsIgnoreCase(repository.fullName()))
                .orElseGet(() -> !(headId.canConvertToLong() && baseId.canConvertToLong()
                        && headId.asLong() == baseId.asLong()));
        return new WebhookEvent.PullRequest(repository, kind, number.asInt(), sha,
                headBranch(text(head, "ref", "pull_request.head.ref")), headRepo, fromFork);
    }

    private static Repository repository(JsonNode root) {
        JsonNode repo = root.path("repository");
        if (!repo.isObject()) {
            throw malformed("repository is missing");
        }
        return new Repository(text(repo, "full_name", "repository.full_name"),
                text(repo, "clone_url", "repository.clone_url"), text(repo, "html_url", "repository.html_url"),
                Optional.ofNullable(repo.get("ssh_url")).filter(JsonNode::isTextual).map(JsonNode::asText)
                        .filter(s -> !s.isEmpty()));
    }

    /** {@code branch}, if {@link BranchNames#valid}; else malformed, naming {@code ref} as sent (escaped). */
    private static String headBranch(String ref) {
        return branch(ref, "pull_request.head.ref", ref);
    }

    /** {@code branch}, if it is a branch name; else malformed, naming {@code field} and what it held ({@code sent}). */
    private static String branch(String branch, String field, String sent) {
        if (!BranchNames.valid(branch)) {
            throw malformed(field + " '" + escaped(sent) + "' is not a valid branch name");
        }
        return branch;
    }

    private static String commit(String sha, String field) {
        if (!COMMIT.matcher(sha).matches()) {
            throw malformed(field + " is not a commit id (40 or 64 lower-case hex digits)");
        }
        return sha;
    }

    private static String text(JsonNode node, String field) {
        return text(node, field, field);
    }

    private static String text(JsonNode node, String field, String path) {
        JsonNode value = node.get(field);
        if (value == null || !value.isTextual() || value.asText().isEmpty()) {
            throw malformed(path + " is missing or not a string");
        }
        return value.asText();
    }

    private static WebhookException malformed(String message) {
        return new WebhookException(WebhookException.Kind.MALFORMED, message);
    }

    /** At most 64 characters of {@code s}, anything but printable ASCII as {@code ?}: safe to put in a message. */
    public static String printable(String s) {
        String cut = s.length() > 64 ? s.substring(0, 64) + "..." : s;
        return cut.replaceAll("[^\\x20-\\x7e]", "?");
    }

    /**
     * At most 64 characters of {@code s} (then {@code ...}) in printable ASCII: a backslash, a newline, a carriage
     * return and a tab written as Java writes them in a string literal, any other character as a Java Unicode escape
     * (a backslash, {@code u}, four hex digits). Safe in a message and a log line, and unlike {@link #printable} it
     * shows what was sent.
     */
    public static String escaped(String s) {
        StringBuilder out = new StringBuilder();
        s.substring(0, Math.min(s.length(), 64)).chars().forEach(c -> {
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c >= 0x20 && c < 0x7f) {
                        out.append((char) c);
                    } else {
                        out.append(String.format("\\u%04x", c));
                    }
                }
            }
        });
        return s.length() > 64 ? out + "..." : out.toString();
    }
}
