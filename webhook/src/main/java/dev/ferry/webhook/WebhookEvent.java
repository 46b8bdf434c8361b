package dev.ferry.webhook;

import java.util.Objects;
import java.util.Optional;

/** A verified, parsed webhook event: what Ferry acts on, or why it ignores it. */
public sealed interface WebhookEvent {

    /** The repository the event is about, when it names one. */
    Optional<Repository> repository();

    /** A push to a branch: build {@code after}, or tear down when {@code deleted} (the branch was deleted). */
    record Push(Repository repo, String branch, String after, boolean deleted) implements WebhookEvent {
        public Push {
            Objects.requireNonNull(repo, "repo");
            Objects.requireNonNull(branch, "branch");
            Objects.requireNonNull(after, "after");
        }

        @Override
        public Optional<Repository> repository() {
            return Optional.of(repo);
        }
    }

    /** A {@code delete} event for a branch (tags are {@link Ignored}). */
    record BranchDeleted(Repository repo, String branch) implements WebhookEvent {
        public BranchDeleted {
            Objects.requireNonNull(repo, "repo");
            Objects.requireNonNull(branch, "branch");
        }

        @Override
        public Optional<Repository> repository() {
            return Optional.of(repo);
        }
    }

    /**
     * A pull request opened, updated (GitHub's {@code synchronize}, Gitea's {@code synchronized}) or reopened, which
     * is built; or closed (merged or not), which is torn down. {@code repo} is the base repository; {@code headRepo}
     * the full name of the repository its head branch is in, when the payload says; {@code fromFork} whether that is
     * another repository, or cannot be told.
     */
    record PullRequest(Repository repo, Action action, int number, String headSha, String headRef,
                       Optional<String> headRepo, boolean fromFork) implements WebhookEvent {
        public enum Action { BUILD, CLOSE }

        public PullRequest {
            Objects.requireNonNull(repo, "repo");
            Objects.requireNonNull(action, "action");
            Objects.requireNonNull(headSha, "headSha");
            Objects.requireNonNull(headRef, "headRef");
            Objects.requireNonNull(headRepo, "headRepo");
        }

        @Override
        public Optional<Repository> repository() {
            return Optional.of(repo);
        }
    }

    /** The forge checking the hook (GitHub sends one when a hook is created). */
    record Ping(Optional<Repository> repository) implements WebhookEvent {
        public Ping {
            Objects.requireNonNull(repository, "repository");
        }
    }

    /** A handled event type in a form Ferry has nothing to do for: a tag push, a pull request labelled, ... */
    record Ignored(Optional<Repository> repository, String reason) implements WebhookEvent {
        public Ignored {
            Objects.requireNonNull(repository, "repository");
            Objects.requireNonNull(reason, "reason");
        }
    }
}
