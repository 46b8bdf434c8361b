package dev.ferry.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ferry.builder.Database;
import dev.ferry.cache.BinaryCache;
import dev.ferry.cache.Storage;
import io.helidon.http.HeaderValues;
import io.helidon.http.Status;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * {@code GET /v1/healthz}: the database answers a query, the cache storage has its {@code nix-cache-info}, and (with
 * a co-resident deployer) the deployer's last good pass is younger than three reconcile intervals. 200 when every
 * check is up, else 503; the body names each check. Reasons are short and never echo storage errors (paths, hosts).
 */
final class Health implements Handler {
    static final Duration TIMEOUT = Duration.ofSeconds(2);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final java.util.concurrent.ExecutorService PROBES = Executors.newVirtualThreadPerTaskExecutor();

    private final Storage storage;
    private final Optional<Database> database;
    private final Metrics metrics;
    private final Clock clock;
    private final AtomicReference<Optional<Deployer>> deployer = new AtomicReference<>(Optional.empty());

    /** A watched deployer, expected to pass every {@code interval}. */
    private record Deployer(Duration interval) {
    }

    Health(Storage storage, Optional<Database> database, Metrics metrics, Clock clock) {
        this.storage = storage;
        this.database = database;
        this.metrics = metrics;
        this.clock = clock;
    }

    /** From now on the deployer's freshness is checked: it must pass without errors every {@code interval}. */
    void watchDeployer(Duration interval) {
        deployer.set(Optional.of(new Deployer(interval)));
        metrics.deployerStarted(); // the last good pass, or this start before one, is the metrics'; the gauge's too
    }

    /**
     * Empty when no deployer is watched or its last good pass (or, before one, the start of watching) is younger than
     * three reconcile intervals; else why not.
     */
    Optional<String> deployerProblem() {
        return deployer.get().flatMap(d -> {
            Instant last = metrics.sinceGoodReconcile().orElseThrow(); // set when watching began
            Duration age = Duration.between(last, clock.instant());
            return age.compareTo(d.interval().multipliedBy(3)) < 0 ? Optional.empty()
                    : Optional.of("no good reconcile pass for " + age.toSeconds() + "s (interval "
                    + d.interval().toSeconds() + "s)");
        });
    }

    @Override
    public void handle(ServerRequest request, ServerResponse response) {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode checks = JSON.createObjectNode();
        boolean up = true;
        if (database.isPresent()) {
            Database db = database.get();
            up &= check(checks, "database", () -> {
                db.schemaVersion();
                return Optional.empty();
            });
        }
        up &= check(checks, "cache", () -> storage.exists(BinaryCache.CACHE_INFO_KEY) ? Optional.empty()
                : Optional.of(BinaryCache.CACHE_INFO_KEY + " is missing"));
        if (deployer.get().isPresent()) {
            up &= check(checks, "deployer", this::deployerProblem);
        }
        root.put("status", up ? "up" : "down");
        root.set("checks", checks);
        response.status(up ? Status.OK_200 : Status.SERVICE_UNAVAILABLE_503)
                .header(HeaderValues.CONTENT_TYPE_JSON)
                .header(HeaderValues.CACHE_NO_CACHE)
                .send(root.toPrettyString() + "\n");
    }

    /** Runs {@code probe} (empty: up; else the reason it is down) with {@link #TIMEOUT}; records it under {@code name}. */
    private boolean check(ObjectNode checks, String name, Supplier<Optional<String>> probe) {
        Optional<String> problem;
        CompletableFuture<Optional<String>> future = CompletableFuture.supplyAsync(probe, PROBES);
        try {
            problem = future.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            future.cancel(true);
            problem = Optional.of("no answer within " + TIMEOUT.toSeconds() + "s");
        } catch (ExecutionException e) {
            problem = Optional.of("unreachable (" + e.getCause().getClass().getSimpleName() + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            problem = Optional.of("interrupted");
        }
        ObjectNode check = checks.putObject(name);
        check.put("status", problem.isEmpty() ? "up" : "down");
        problem.ifPresent(p -> check.put("reason", p));
        return problem.isEmpty();
    }
}
