package dev.ferry.builder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatabaseTest {
    @TempDir
    Path dir;

    @Test
    void migrateCreatesTheSchemaOnceInWalMode() throws Exception {
        Path file = dir.resolve("state").resolve(Database.FILE_NAME);
        try (Database db = Database.open(file)) {
            assertThat(db.schemaVersion()).isZero();
            assertThat(db.migrate()).isEqualTo(new Database.MigrationResult(0, Database.knownSchemaVersion()));
            assertThat(db.migrate().changed()).isFalse();
        }
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("PRAGMA journal_mode")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualToIgnoringCase("wal");
        }
    }

    @Test
    void refusesASchemaNewerThanItKnowsNamingBothVersions() throws Exception {
        Path file = dir.resolve(Database.FILE_NAME);
        try (Database db = Database.open(file)) {
            db.migrate();
        }
        int newer = Database.knownSchemaVersion() + 1;
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement s = c.createStatement()) {
            s.executeUpdate("INSERT INTO schema_version (version, description, applied_at) VALUES (" + newer
                    + ", 'from the future', 0)");
        }
        assertThatThrownBy(() -> Database.open(file))
                .isInstanceOf(StateException.class)
                .hasMessageContaining("schema version " + newer)
                .hasMessageContaining("(" + Database.knownSchemaVersion() + ")")
                .hasMessageContaining(file.toString());
    }

    @Test
    void storesRefuseAnUnmigratedDatabase() {
        try (Database db = Database.open(dir.resolve(Database.FILE_NAME))) {
            assertThatThrownBy(() -> BuildStore.create(db)).hasMessageContaining("ferry migrate");
        }
    }

    @Test
    void migrationFilesAreNumberedFromOneAndParse() {
        List<Migrations.Migration> all = Migrations.all();
        assertThat(all).extracting(Migrations.Migration::version).containsExactly(1, 2);
        assertThat(all.getFirst().statements()).anySatisfy(s -> assertThat(s).startsWith("CREATE TABLE builds"));
        assertThat(Migrations.statements("-- c\nCREATE TABLE a (x INTEGER);\nCREATE TABLE b (y TEXT);\n"))
                .containsExactly("CREATE TABLE a (x INTEGER)", "CREATE TABLE b (y TEXT)");
    }

    @Test
    void buildsRoundTripWithNullsAndJson() {
        try (Database db = migrated()) {
            BuildStore builds = BuildStore.create(db);
            BuildRecord pr = builds.insert(BuildStore.NewBuild.build("shop", new BuildRef.PullRequest(7, "feature/x"),
                    "a".repeat(40), BuildRecord.Trigger.API));
            assertThat(pr.status()).isEqualTo(BuildStatus.QUEUED);
            assertThat(pr.ref()).isEqualTo(new BuildRef.PullRequest(7, "feature/x"));
            assertThat(pr.commit()).contains("a".repeat(40));
            assertThat(pr.retryOf()).isEmpty();
            assertThat(pr.deliveryId()).isEmpty();
            assertThat(pr).isEqualTo(builds.find(pr.id()).orElseThrow()); // built from what was written, not read
            BuildRecord teardown = builds.insert(BuildStore.NewBuild.teardown("shop", new BuildRef.Branch("main"),
                    BuildRecord.Trigger.WEBHOOK));
            assertThat(teardown.commit()).isEmpty();
            assertThat(teardown).isEqualTo(builds.find(teardown.id()).orElseThrow());
            assertThat(teardown.id()).isGreaterThan(pr.id());
            var phases = List.of(new BuildRecord.PhaseTiming(Phase.QUEUED, Instant.ofEpochMilli(5),
                    java.time.Duration.ofMillis(12)));
            assertThat(builds.finish(pr.id(), BuildStatus.SUCCEEDED, phases, java.util.Map.of("web", "/nix/store/x"),
                    java.util.OptionalLong.of(3), Optional.empty())).isTrue();
            assertThat(builds.finish(pr.id(), BuildStatus.FAILED, phases, java.util.Map.of(),
                    java.util.OptionalLong.empty(), Optional.of("late"))).isFalse();
            BuildRecord done = builds.find(pr.id()).orElseThrow();
            assertThat(done.status()).isEqualTo(BuildStatus.SUCCEEDED);
            assertThat(done.outputs()).containsEntry("web", "/nix/store/x");
            assertThat(done.generation()).hasValue(3);
            assertThat(done.phases()).isEqualTo(phases);
            assertThat(done.finishedAt()).isPresent();
            assertThat(builds.list(Optional.of("shop"), Optional.of("feature/x"), 10)).extracting(BuildRecord::id)
                    .containsExactly(pr.id());
            assertThat(builds.list(Optional.empty(), Optional.empty(), 1)).extracting(BuildRecord::id)
                    .containsExactly(teardown.id());
        }
    }

    @Test
    void queuedBuildsCancelledTogetherEndWithTheirQueuedPhaseAndReason() {
        try (Database db = migrated()) {
            BuildStore builds = BuildStore.create(db);
            List<BuildRecord> queued = new java.util.ArrayList<>();
            for (int i = 0; i < 305; i++) { // more than one statement's worth
                queued.add(builds.insert(BuildStore.NewBuild.build("shop", new BuildRef.Branch("b" + i),
                        String.format("%040x", i), BuildRecord.Trigger.API)));
            }
            BuildRecord running = queued.getLast();
            builds.markRunning(running.id(), Instant.now(), List.of(), Phase.QUEUED);
            List<BuildStore.QueuedCancel> cancels = queued.stream().map(b -> new BuildStore.QueuedCancel(b,
                    b.createdAt().plusMillis(42 + b.id()), "superseded by build " + (b.id() + 1000))).toList();
            builds.cancelQueued(cancels);
            for (BuildRecord b : queued.subList(0, 304)) {
                BuildRecord done = builds.find(b.id()).orElseThrow();
                assertThat(done.status()).isEqualTo(BuildStatus.CANCELLED);
                assertThat(done.error()).hasValue("superseded by build " + (b.id() + 1000));
                assertThat(done.finishedAt()).hasValue(b.createdAt().plusMillis(42 + b.id()));
                assertThat(done.phases()).containsExactly(new BuildRecord.PhaseTiming(Phase.QUEUED, b.createdAt(),
                        java.time.Duration.ofMillis(42 + b.id())));
            }
            assertThat(builds.find(running.id()).orElseThrow().status()).as("no longer queued: left as it is")
                    .isEqualTo(BuildStatus.RUNNING);
        }
    }

    @Test
    void recoveryRetriesInterruptedBuildsAndTeardownsOnceEach() {
        try (Database db = migrated()) {
            BuildStore builds = BuildStore.create(db);
            BuildRecord teardown = builds.insert(BuildStore.NewBuild.teardown("shop", new BuildRef.Branch("old"),
                    BuildRecord.Trigger.WEBHOOK));
            BuildRecord queued = builds.insert(BuildStore.NewBuild.build("shop", new BuildRef.Branch("main"),
                    "e".repeat(40), BuildRecord.Trigger.API));
            builds.markRunning(teardown.id(), Instant.now(), List.of(), Phase.QUEUED);
            List<BuildRecord> retries = builds.recoverInterrupted();
            assertThat(retries).singleElement().satisfies(r -> {
                assertThat(r.action()).isEqualTo(BuildRecord.Action.TEARDOWN);
                assertThat(r.attempt()).isEqualTo(2);
                assertThat(r.retryOf()).hasValue(teardown.id());
                assertThat(r.status()).isEqualTo(BuildStatus.QUEUED);
            });
            assertThat(builds.find(teardown.id()).orElseThrow().error()).hasValue("interrupted");
            assertThat(builds.find(queued.id()).orElseThrow().status()).isEqualTo(BuildStatus.QUEUED);
            builds.markRunning(retries.getFirst().id(), Instant.now(), List.of(), Phase.QUEUED);
            assertThat(builds.recoverInterrupted()).isEmpty(); // the second attempt is not repeated
            assertThat(builds.withStatus(BuildStatus.RUNNING)).isEmpty();
        }
    }

    @Test
    void aRepeatedDeliveryReturnsTheEarlierBuild() {
        try (Database db = migrated()) {
            BuildStore builds = BuildStore.create(db);
            var build = BuildStore.NewBuild.build("shop", new BuildRef.Branch("main"), "b".repeat(40),
                    BuildRecord.Trigger.WEBHOOK);
            BuildStore.Recorded first = builds.insertForDelivery("gitea", "push", "d-1", build);
            BuildStore.Recorded again = builds.insertForDelivery("gitea", "push", "d-1", build);
            assertThat(first.created()).isTrue();
            assertThat(again.created()).isFalse();
            assertThat(again.build().id()).isEqualTo(first.build().id());
            assertThat(builds.list(Optional.empty(), Optional.empty(), 100)).hasSize(1);
            assertThat(builds.forDelivery("d-1")).map(BuildRecord::id).contains(first.build().id());
            assertThat(first.build().deliveryId()).contains("d-1");
            assertThat(first.build()).isEqualTo(again.build());
        }
    }

    @Test
    void concurrentRepeatsOfADeliveryRecordOneBuild() throws Exception {
        try (Database db = migrated(); var pool = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            BuildStore builds = BuildStore.create(db);
            var build = BuildStore.NewBuild.build("shop", new BuildRef.Branch("main"), "c".repeat(40),
                    BuildRecord.Trigger.WEBHOOK);
            List<java.util.concurrent.Future<BuildStore.Recorded>> repeats = new java.util.ArrayList<>();
            for (int i = 0; i < 32; i++) {
                repeats.add(pool.submit(() -> builds.insertForDelivery("gitea", "push", "same-id", build)));
            }
            List<BuildStore.Recorded> recorded = new java.util.ArrayList<>();
            for (var f : repeats) {
                recorded.add(f.get());
            }
            assertThat(recorded).filteredOn(BuildStore.Recorded::created).hasSize(1);
            assertThat(recorded).extracting(r -> r.build().id()).containsOnly(recorded.getFirst().build().id());
            assertThat(builds.list(Optional.empty(), Optional.empty(), 100)).hasSize(1);
        }
    }

    @Test
    void version2MovesTheDeliveriesOfAVersion1DatabaseOntoTheirBuilds() throws Exception {
        Path file = dir.resolve(Database.FILE_NAME);
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement s = c.createStatement()) {
            s.executeUpdate("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, description TEXT NOT NULL, "
                    + "applied_at INTEGER NOT NULL)");
            for (String statement : Migrations.all().getFirst().statements()) {
                s.executeUpdate(statement);
            }
            s.executeUpdate("INSERT INTO schema_version VALUES (1, 'init', 0)");
            s.executeUpdate("INSERT INTO builds (project, action, ref_kind, ref_name, commit_id, status, trigger, "
                    + "delivery_id, created_at) VALUES ('shop', 'build', 'branch', 'main', '" + "f".repeat(40)
                    + "', 'succeeded', 'webhook', 'd-old', 5)");
            s.executeUpdate("INSERT INTO builds (project, action, ref_kind, ref_name, commit_id, status, trigger, "
                    + "created_at) VALUES ('shop', 'build', 'branch', 'main', '" + "e".repeat(40)
                    + "', 'queued', 'api', 6)");
            s.executeUpdate("INSERT INTO webhook_deliveries VALUES ('d-old', 'forgejo', 'push', 1, 5)");
        }
        try (Database db = Database.open(file)) {
            assertThat(db.migrate()).isEqualTo(new Database.MigrationResult(1, 2));
            BuildStore builds = BuildStore.create(db);
            var again = builds.insertForDelivery("forgejo", "push", "d-old", BuildStore.NewBuild.build("shop",
                    new BuildRef.Branch("main"), "f".repeat(40), BuildRecord.Trigger.WEBHOOK));
            assertThat(again.created()).isFalse();
            assertThat(again.build().id()).isEqualTo(1);
            assertThat(builds.list(Optional.empty(), Optional.empty(), 10)).hasSize(2);
        }
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT delivery_forge, delivery_event FROM builds ORDER BY id")) {
            rs.next();
            assertThat(rs.getString(1) + "/" + rs.getString(2)).isEqualTo("forgejo/push");
            rs.next();
            assertThat(rs.getString(1)).isNull();
            try (ResultSet tables = s.executeQuery("SELECT name FROM sqlite_master WHERE name = 'webhook_deliveries'")) {
                assertThat(tables.next()).as("the version 1 table is gone").isFalse();
            }
        }
    }

    @Test
    void projectsFromConfigAndApi() {
        try (Database db = migrated()) {
            ProjectStore projects = ProjectStore.create(db);
            projects.syncConfigured(List.of(new Project("shop", "https://x/shop.git", "main"),
                    new Project("old", "https://x/old.git", "main")));
            // Read between the writes: the list is kept in memory, and every write must make it read again.
            assertThat(projects.all()).hasSize(2);
            assertThat(projects.add(new Project("blog", "https://x/blog.git", "trunk"))).isEmpty();
            assertThat(projects.find("blog")).isPresent();
            assertThat(projects.add(new Project("shop", "https://x/other.git", "main")))
                    .contains(new ProjectStore.Conflict("shop", ProjectStore.Conflict.Reason.NAME));
            // The same repository under another name: its deliveries would go to two projects.
            assertThat(projects.add(new Project("shop-copy", "HTTPS://x/shop/", "main")))
                    .contains(new ProjectStore.Conflict("shop", ProjectStore.Conflict.Reason.REPOSITORY));
            assertThat(projects.find("shop-copy")).isEmpty();
            projects.syncConfigured(List.of(new Project("shop", "https://x/shop2.git", "main")));
            assertThat(projects.find("old")).isEmpty();
            assertThat(projects.all()).extracting(p -> p.project().name() + ":" + p.source())
                    .containsExactly("blog:API", "shop:CONFIG");
            assertThat(projects.find("shop")).map(p -> p.project().cloneUrl()).contains("https://x/shop2.git");

            // A configured project that takes an API project's name, or its repository, is said in the log.
            java.util.List<String> warnings = new java.util.concurrent.CopyOnWriteArrayList<>();
            java.util.logging.Logger logger = java.util.logging.Logger.getLogger(ProjectStore.class.getName());
            java.util.logging.Handler handler = new java.util.logging.Handler() {
                @Override
                public void publish(java.util.logging.LogRecord record) {
                    warnings.add(java.text.MessageFormat.format(record.getMessage(), record.getParameters()));
                }

                @Override
                public void flush() {
                }

                @Override
                public void close() {
                }
            };
            logger.addHandler(handler);
            try {
                projects.syncConfigured(List.of(new Project("shop", "https://x/shop2.git", "main"),
                        new Project("blog", "https://x/blog-conf.git", "main"),
                        new Project("shop3", "git@x:shop3.git", "main")));
                assertThat(projects.add(new Project("api3", "https://x/shop3.git", "main"))).isPresent();
            } finally {
                logger.removeHandler(handler);
            }
            assertThat(warnings).singleElement().asString().isEqualTo("project blog, added through the API "
                    + "(https://x/blog.git), is now configured in ferry.projects (https://x/blog-conf.git): the "
                    + "configuration's entry replaces it, and removing it from the configuration removes the project");
        }
    }

    @Test
    void deploymentsSaveReplaceAndDelete() {
        try (Database db = migrated()) {
            DeploymentStore store = SqliteDeploymentStore.create(db);
            Deployment d = new Deployment("shop-pr-7", "shop", new BuildRef.PullRequest(7, "x"), "c".repeat(40), 4, 9,
                    List.of("shop-pr-7-web"), List.of(), List.of("shop-pr-7.ferry.example.org"),
                    Instant.ofEpochMilli(1000));
            store.save(d);
            store.save(new Deployment("shop-pr-7", "shop", new BuildRef.PullRequest(7, "x"), "d".repeat(40), 5, 10,
                    List.of("shop-pr-7-web"), List.of("shop-pr-7-docs"), List.of(), Instant.ofEpochMilli(2000)));
            assertThat(store.all()).hasSize(1);
            assertThat(store.find("shop-pr-7")).map(Deployment::generation).contains(10L);
            assertThat(store.find("shop-pr-7")).map(Deployment::sites).contains(List.of("shop-pr-7-docs"));
            store.delete("shop-pr-7");
            assertThat(store.all()).isEmpty();
        }
    }

    private Database migrated() {
        Database db = Database.open(dir.resolve(Database.FILE_NAME));
        db.migrate();
        assertThat(Files.exists(dir.resolve(Database.FILE_NAME))).isTrue();
        return db;
    }
}
