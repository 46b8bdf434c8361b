package dev.ferry.server;

import dev.ferry.builder.BuildLogs;
import dev.ferry.builder.BuildQueue;
import dev.ferry.builder.BuildStore;
import dev.ferry.builder.Database;
import dev.ferry.builder.DeploymentStore;
import dev.ferry.builder.Project;
import dev.ferry.builder.ProjectStore;
import dev.ferry.builder.SqliteDeploymentStore;
import dev.ferry.cache.ManifestStore;
import dev.ferry.cache.ManifestVerifier;
import dev.ferry.cache.Storage;
import dev.ferry.nix.PublicKey;
import dev.ferry.nix.SecretKey;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * What the webhook and API endpoints work on: the database (migrated at start), the projects, the build queue and
 * its logs, the deployments, the manifests and the secrets.
 */
final class Builds implements AutoCloseable {
    final BuilderSettings settings;
    final Database database;
    final ProjectStore projects;
    final BuildStore builds;
    final BuildQueue queue;
    final BuildLogs logs;
    final DeploymentStore deployments;
    final ManifestStore manifests;
    final SecretKey signingKey;
    final AdminAuth auth;
    final WebhookSecrets secrets;
    final BranchHeads heads;
    final GenerationNotifier notifier;
    /** The keys a generation this server builds on may be signed by: its own, and {@code ferry.cache.trusted-keys}. */
    private final List<PublicKey> trusted;

    private Builds(BuilderSettings settings, Database database, ProjectStore projects, BuildStore builds,
                   BuildQueue queue, DeploymentStore deployments, ManifestStore manifests, SecretKey signingKey,
                   AdminAuth auth, WebhookSecrets secrets, BranchHeads heads, GenerationNotifier notifier,
                   List<PublicKey> alsoTrusted) {
        this.settings = settings;
        this.database = database;
        this.projects = projects;
        this.builds = builds;
        this.queue = queue;
        this.logs = new BuildLogs(queue);
        this.deployments = deployments;
        this.manifests = manifests;
        this.signingKey = signingKey;
        this.auth = auth;
        this.secrets = secrets;
        this.heads = heads;
        this.notifier = notifier;
        this.trusted = ManifestVerifier.withOwnKey(alsoTrusted, signingKey.publicKey());
    }

    /** {@code <data-dir>/ferry.db}. */
    static Path databaseFile(ServerConfig config) {
        return config.dataDir().resolve(Database.FILE_NAME);
    }

    /** The files the settings name, read before the server creates anything: the API token and webhook secrets. */
    record Secrets(AdminAuth auth, WebhookSecrets webhook) {
        static Secrets read(BuilderSettings settings) {
            return new Secrets(AdminAuth.from(settings), WebhookSecrets.load(settings));
        }
    }

    /**
     * Reads the secret files, opens and migrates the database, syncs the configured projects, and starts the queue
     * (which first recovers builds a previous process left running). Every generation a build, a teardown or a
     * rollback writes is announced to {@code notifier} (the co-resident deployer and the long poll wake at once).
     */
    static Builds start(ServerConfig config, BuilderSettings settings, Secrets read, Storage storage,
                        SecretKey signingKey, PipelineFactory pipelines, BranchHeads heads,
                        GenerationNotifier notifier, BuildQueue.Ended ended) {
        AdminAuth auth = read.auth();
        WebhookSecrets secrets = read.webhook();
        Database database = Database.open(databaseFile(config));
        try {
            database.migrate();
            ProjectStore projects = ProjectStore.create(database);
            projects.syncConfigured(settings.projects().stream().map(BuilderSettings.ConfiguredProject::project)
                    .toList());
            BuildStore builds = BuildStore.create(database);
            DeploymentStore deployments = SqliteDeploymentStore.create(database);
            var pipeline = PipelineFactory.announcing(pipelines.create(new PipelineFactory.Resources(config, settings,
                    storage, signingKey, deployments)), notifier);
            BuildQueue queue = BuildQueue.start(builds, pipeline,
                    name -> projects.find(name).map(ProjectStore.StoredProject::project),
                    settings.maxConcurrentBuilds(), config.dataDir().resolve("builds"), ended);
            return new Builds(settings, database, projects, builds, queue, deployments,
                    ManifestStore.create(storage), signingKey, auth, secrets, heads, notifier, config.trustedKeys());
        } catch (RuntimeException e) {
            database.close();
            throw e;
        }
    }

    ManifestVerifier verifier() {
        return ManifestVerifier.trusting(trusted);
    }

    Optional<Project> project(String name) {
        return projects.find(name).map(ProjectStore.StoredProject::project);
    }

    @Override
    public void close() {
        try {
            queue.close();
        } finally {
            database.close();
        }
    }
}
