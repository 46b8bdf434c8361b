package dev.ferry.deployer;

import dev.ferry.cache.BinaryCache;
import dev.ferry.cache.CacheException;
import dev.ferry.cache.Manifest;
import dev.ferry.cache.ManifestException;
import dev.ferry.cache.ManifestGeneration;
import dev.ferry.cache.ManifestStore;
import dev.ferry.cache.ManifestVerifier;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * Converges the newest verified manifest generation into this host's units and routes: observe, plan, execute, then
 * record. One pass at a time (a generation arriving during a pass is applied by the next one), so a service never
 * has two activations in flight.
 */
public final class Deployer {
    private static final System.Logger LOG = System.getLogger(Deployer.class.getName());
    static final Duration DEFAULT_DRAIN = Duration.ofSeconds(2);

    private final DeployerSettings settings;
    private final ManifestStore manifests;
    private final ManifestVerifier verifier;
    private final Systemd systemd;
    private final Caddy caddy;
    private final NixStore nix;
    private final Planner planner;
    private final Executor executor;
    private final ReentrantLock wakeLock = new ReentrantLock();
    private final Condition woken = wakeLock.newCondition();
    private boolean wakeRequested;
    private volatile boolean stopped;
    private Clock clock = Clock.systemUTC();
    /** The kernel's id of this boot, read once: it does not change while the process runs. */
    private Optional<String> boot = bootId();

    private Deployer(DeployerSettings settings, ManifestStore manifests, Systemd systemd, Caddy caddy, NixStore nix,
                     ReadyCheck ready, Duration drain, Consumer<String> afterUnitStarted) {
        this.settings = settings;
        this.manifests = manifests;
        this.verifier = ManifestVerifier.trusting(settings.trustedKeys());
        this.systemd = systemd;
        this.caddy = caddy;
        this.nix = nix;
        this.planner = new Planner(settings.unitPrefix());
        this.executor = new Executor(settings, systemd, caddy, nix, ready, drain, afterUnitStarted);
    }

    public static Deployer create(DeployerSettings settings, ManifestStore manifests, Systemd systemd, Caddy caddy,
                                  NixStore nix, ReadyCheck ready) {
        return new Deployer(settings, manifests, systemd, caddy, nix, ready, DEFAULT_DRAIN,
                TestPause.fromEnvironment());
    }

    /** For tests: a shorter drain, and a hook run right after a new unit started (before its route switch). */
    static Deployer create(DeployerSettings settings, ManifestStore manifests, Systemd systemd, Caddy caddy,
                           NixStore nix, ReadyCheck ready, Duration drain, Consumer<String> afterUnitStarted) {
        return new Deployer(settings, manifests, systemd, caddy, nix, ready, drain, afterUnitStarted);
    }

    /**
     * What one pass did. {@code ok()} when nothing failed and the generation was trusted. {@code failedNow}: what
     * failed in this pass (services, sites, routes, units by name), each also in {@code errors}.
     */
    public record Report(long generation, List<String> steps, List<String> errors, List<ServiceStatus> services,
                         java.util.Set<String> failedNow) {
        public boolean ok() {
            return errors.isEmpty() && services.stream().noneMatch(ServiceStatus::failed);
        }
    }

    /** For tests: which boot this is (a reboot ends every transient unit). */
    void boot(Optional<String> boot) {
        this.boot = boot;
    }

    /** The kernel's id of this boot; empty where there is none to read. */
    private static Optional<String> bootId() {
        try {
            return Optional.of(java.nio.file.Files.readString(java.nio.file.Path.of("/proc/sys/kernel/random/boot_id"))
                    .strip()).filter(id -> !id.isEmpty());
        } catch (java.io.IOException e) {
            return Optional.empty();
        }
    }

    /** For tests: the clock {@link Backoff} reads. */
    void clock(Clock clock) {
        this.clock = clock;
    }

    /**
     * One pass: newest trusted generation, observe, plan, execute, record. A service whose last activations failed
     * for a reason that may mend itself is tried again only once its {@link Backoff} has passed.
     */
    public Report reconcile() {
        return reconcile(false);
    }

    /** As {@link #reconcile()}, trying now what is held back after failures: a pass a person asked for. */
    public Report reconcileNow() {
        return reconcile(true);
    }

    @SuppressWarnings("try") // the lock is held for the body, never referenced in it
    private Report reconcile(boolean now) {
        try (PassLock held = PassLock.acquire(settings.stateDir())) {
            DeployerState state = DeployerState.read(settings.stateDir());
            List<String> errors = new ArrayList<>();
            Optional<ManifestGeneration> manifest = trustedManifest(state, errors);
            if (manifest.isEmpty()) {
                DeployerState next = new DeployerState(state.lastApplied(), state.failed(), state.backoff(),
                        state.services(), errors, state.boot());
                next.write(settings.stateDir());
                return new Report(state.lastApplied(), List.of(), errors, state.services(), java.util.Set.of());
            }
            Desired desired = LocalPins.apply(Desired.of(manifest.get().manifest(), settings.host()),
                    LocalPins.read(settings.stateDir()));
            Map<String, String> failed = new HashMap<>(state.failed());
            // A spec that failed is retried only when the manifest changes the service.
            Map<String, String> specs = new HashMap<>();
            desired.services().forEach(s -> specs.put(s.name(), Desired.spec(s)));
            failed.entrySet().removeIf(e -> !e.getValue().equals(specs.get(e.getKey())));
            Map<String, Backoff> backoff = new HashMap<>(state.backoff());
            backoff.entrySet().removeIf(e -> !e.getValue().spec().equals(specs.get(e.getKey())));
            Actual actual;
            try {
                actual = Actual.observe(systemd, caddy.ensureServer(settings.caddyListen(), settings.unitPrefix()), nix,
                        settings.unitPrefix());
            } catch (DeployerException | java.io.UncheckedIOException e) {
                // Without the whole picture nothing is changed; the next pass tries again.
                errors.add("cannot observe this host: " + e.getMessage());
                new DeployerState(state.lastApplied(), state.failed(), state.backoff(), state.services(), errors,
                        state.boot()).write(settings.stateDir());
                return new Report(state.lastApplied(), List.of(), errors, state.services(), java.util.Set.of());
            }
            Instant start = clock.instant();
            // A unit that ran at the end of the last pass and is gone or stopped now, though no pass stopped it: its
            // program ended. Started again at once the first time, then after a back-off, as a failed activation.
            Map<String, String> gone = new HashMap<>();
            vanished(desired, actual, state).forEach((service, message) -> {
                Optional<Backoff> before = Optional.ofNullable(backoff.get(service.name()));
                String spec = specs.get(service.name());
                Backoff next = before.isEmpty() ? new Backoff(spec, 1, start) : Backoff.after(before, spec, start);
                backoff.put(service.name(), next);
                gone.put(service.name(), message + "; " + (before.isEmpty() ? "started again now" : next.describe(start)));
            });
            // Not activated in this pass: what failed for good, and (unless asked now) what waits for its next try.
            Map<String, String> notNow = new HashMap<>(failed);
            backoff.forEach((name, b) -> {
                // A next try further off than the longest wait: the clock went back; it is due.
                if (!now && start.isBefore(b.next()) && !b.next().isAfter(start.plus(Backoff.MAX))) {
                    notNow.put(name, b.spec());
                }
            });
            Plan plan = planner.plan(desired, actual, notNow);
            Map<String, String> executed = executor.execute(plan, failed);
            Map<String, String> stepErrors = new HashMap<>(gone);
            stepErrors.putAll(executed);
            Instant end = clock.instant();
            java.util.Set<String> activated = new java.util.HashSet<>();
            plan.steps().forEach(step -> {
                if (step instanceof Plan.Activate a) {
                    activated.add(a.service().name());
                }
            });
            for (Manifest.Service service : desired.services()) {
                String name = service.name();
                if (failed.containsKey(name)) {
                    backoff.remove(name); // failed for good: not tried again until the manifest changes it
                } else if (executed.containsKey(name) && activated.contains(name)) {
                    Backoff next = Backoff.after(Optional.ofNullable(backoff.get(name)), specs.get(name), end);
                    backoff.put(name, next);
                    stepErrors.put(name, stepErrors.get(name) + "; " + next.describe(end));
                }
            }
            stepErrors.forEach((owner, message) -> errors.add(owner + ": " + message));
            // ensureServer, not routes: a changed route may now cover one after it, which this puts right.
            Actual after = actual;
            if (!plan.isEmpty()) {
                try {
                    after = Actual.observe(systemd, caddy.ensureServer(settings.caddyListen(), settings.unitPrefix()),
                            nix, settings.unitPrefix());
                } catch (DeployerException | java.io.UncheckedIOException e) {
                    // The state (failed specs above all) is still written; statuses are from before the pass.
                    errors.add("cannot observe this host after the pass: " + e.getMessage());
                }
            }
            notNow.putAll(failed);
            List<ServiceStatus> statuses = statuses(desired, after, notNow, stepErrors, state);
            // Ran as desired for a whole interval (the unit the last pass ended with is still up, not restarting): a
            // later failure of the same spec starts its back-off afresh.
            for (ServiceStatus s : statuses) {
                boolean current = s.state().equals("serving") || s.state().equals("active");
                Optional<ServiceStatus> before = previous(state, s.name());
                if (current && !gone.containsKey(s.name()) && before.isPresent() && before.get().unit().equals(s.unit())
                        && before.get().restarts().equals(s.restarts())) {
                    backoff.remove(s.name());
                }
            }
            // The copy first: state.json's lastApplied is what keeps it from being written again.
            AppliedCopy.keep(settings.stateDir(), manifest.get(), state.lastApplied());
            new DeployerState(desired.generation(), failed, backoff, statuses, errors, boot)
                    .write(settings.stateDir());
            return new Report(desired.generation(), plan.steps().stream().map(Plan.Step::describe).toList(), errors,
                    statuses, java.util.Set.copyOf(stepErrors.keySet()));
        }
    }

    private Optional<ManifestGeneration> trustedManifest(DeployerState state, List<String> errors) {
        try {
            Optional<ManifestGeneration> newest = manifests.newest(verifier);
            if (newest.isPresent() && newest.get().generation() >= state.lastApplied()) {
                return newest;
            }
            if (newest.isEmpty() && state.lastApplied() == 0) {
                // Nothing was ever applied here and there is nothing to apply: change nothing. Tearing down what runs
                // would be the answer to a mistyped manifest-uri too, which finds no generation either.
                if (!manifests.storage().exists(BinaryCache.CACHE_INFO_KEY)) {
                    errors.add("no binary cache at " + manifests.storage().uri() + " (it has no "
                            + BinaryCache.CACHE_INFO_KEY + "): check ferry.deployer.manifest-uri (a Ferry server's "
                            + "http(s)://HOST:PORT/cache, or the cache's file:// or s3:// URI); nothing is changed");
                }
                return Optional.empty();
            }
            // Generations are never deleted, so fewer than were applied here means the newer ones were removed (a
            // signature proves who wrote a generation, not that it is the newest) or this is another cache: going
            // back, or tearing every service down, would be the wrong answer to either.
            errors.add((newest.isEmpty() ? "no manifest generation in " + manifests.storage().uri()
                    : "the newest manifest generation in " + manifests.storage().uri() + " is "
                    + newest.get().generation()) + ", though generation " + state.lastApplied() + " was applied "
                    + "here: refusing to go back; nothing is changed (to start over from this cache, remove "
                    + settings.stateDir().resolve("state.json") + ")");
        } catch (ManifestException e) {
            errors.add("refused the newest manifest generation: " + e.getMessage());
            LOG.log(System.Logger.Level.WARNING, "deployer: refused the newest manifest generation: {0}",
                    e.getMessage());
        } catch (CacheException | DeployerException | java.io.UncheckedIOException e) {
            // The location cannot be read (an agent's server is down): keep converging what was applied last.
            Optional<ManifestGeneration> copy = state.lastApplied() == 0 ? Optional.empty()
                    : AppliedCopy.read(settings.stateDir(), state.lastApplied(), verifier);
            Path file = settings.stateDir().resolve(AppliedCopy.FILE);
            errors.add("cannot read the manifest generations in " + manifests.storage().uri() + ": "
                    + DeployerException.reason(e) + (copy.isPresent() ? "; converging generation "
                    + state.lastApplied() + ", applied last, from its copy in " + file
                    : state.lastApplied() == 0 ? "; nothing is changed" : "; no copy of generation "
                    + state.lastApplied() + " that verifies in " + file + ": nothing is changed"));
            return copy;
        }
        if (state.lastApplied() == 0) {
            return Optional.empty();
        }
        try {
            // Keep converging what was last applied (a Caddy restart must still get its routes back).
            return manifests.read(state.lastApplied(), verifier);
        } catch (ManifestException e) {
            errors.add("generation " + state.lastApplied() + " cannot be read back: " + e.getMessage());
            return Optional.empty();
        } catch (CacheException | DeployerException | java.io.UncheckedIOException e) {
            return AppliedCopy.read(settings.stateDir(), state.lastApplied(), verifier);
        }
    }

    /** The status the last pass recorded for {@code name}. */
    private static Optional<ServiceStatus> previous(DeployerState state, String name) {
        return state.services().stream().filter(s -> s.name().equals(name)).findFirst();
    }

    /**
     * The services whose unit was current at the end of the last pass (it ran the desired version, as far as the last
     * pass saw) and that is gone or stopped now, with what happened: no pass stops a current unit, so its program
     * ended (a transient unit whose program ends without an error is forgotten by systemd at once), or someone
     * stopped it.
     */
    private Map<Manifest.Service, String> vanished(Desired desired, Actual actual, DeployerState state) {
        Map<Manifest.Service, String> gone = new java.util.LinkedHashMap<>();
        if (state.boot().isEmpty() || !state.boot().equals(boot)) {
            return gone; // a reboot (or a state file from before boots were recorded) ends every transient unit
        }
        for (Manifest.Service service : desired.services()) {
            Optional<ServiceStatus> before = previous(state, service.name())
                    .filter(s -> s.state().equals("serving") || s.state().equals("active"))
                    .filter(s -> s.desiredPath().equals(service.artifact().storePath().absolute()));
            if (before.isEmpty() || before.get().unit().isEmpty()) {
                continue;
            }
            String unit = before.get().unit().get();
            Optional<Actual.RunningUnit> now = actual.units().stream().filter(u -> u.name().equals(unit)).findFirst();
            if (now.isEmpty()) {
                gone.put(service, "unit " + unit + " is gone since the last pass: " + UnitExit.GONE
                        + ", or someone stopped it; see " + UnitExit.journal(settings.userManager(), unit));
            } else if (!now.get().active()) {
                gone.put(service, "unit " + unit + " stopped since the last pass: its program "
                        + UnitExit.read(systemd, unit).describe() + "; see "
                        + UnitExit.journal(settings.userManager(), unit));
            }
        }
        return gone;
    }

    private List<ServiceStatus> statuses(Desired desired, Actual actual, Map<String, String> failed,
                                         Map<String, String> stepErrors, DeployerState previous) {
        List<ServiceStatus> list = new ArrayList<>();
        for (Manifest.Service service : desired.services()) {
            String spec = Desired.spec(service);
            Optional<Caddy.Route> route = actual.routes().stream()
                    .filter(r -> r.id().equals(planner.routeId(service))).findFirst();
            Optional<Actual.RunningUnit> serving = actual.units().stream()
                    .filter(u -> u.of(service.name()) && u.active())
                    .filter(u -> service.http().isEmpty() || route.flatMap(Caddy.Route::upstream)
                            .equals(u.label().orElseThrow().port().stream()
                                    .mapToObj(p -> "127.0.0.1:" + p).findFirst()))
                    .reduce((a, b) -> b);
            boolean current = serving.map(u -> u.label().orElseThrow().spec().equals(spec)).orElse(false);
            // The desired version's program keeps exiting and systemd keeps starting it again (Restart=): it does not
            // run, whatever its unit's active state says. Seen waiting to be started again now, or started again
            // since the last pass (NRestarts went up), which a pass between two restarts would not see.
            java.util.OptionalLong restarts = current ? UnitExit.restarts(systemd, serving.get().name())
                    : java.util.OptionalLong.empty();
            Optional<ServiceStatus> before = previous(previous, service.name())
                    .filter(s -> s.unit().equals(serving.map(Actual.RunningUnit::name)));
            long again = restarts.isPresent() && before.isPresent() && before.get().restarts().isPresent()
                    ? restarts.getAsLong() - before.get().restarts().getAsLong() : 0;
            Optional<String> crashing = serving.filter(u -> current && (u.restarting() || again > 0)).map(u -> "unit "
                    + u.name() + " does not stay up: its program " + UnitExit.read(systemd, u.name()).describe()
                    + " and systemd starts it again (Restart=" + service.systemd().restart() + ", after "
                    + service.systemd().restartSec() + " s" + (again > 0 ? "; " + again + " time(s) since the last pass"
                    : "") + "); see " + UnitExit.journal(settings.userManager(), u.name()));
            // Failed: known not to get ready, or this pass's step for it failed (for example an untrusted closure;
            // such a step is retried after a back-off, since a substituter may come back).
            String state = crashing.isPresent() ? "failed"
                    : current ? (service.http().isPresent() ? "serving" : "active")
                    : spec.equals(failed.get(service.name())) || stepErrors.containsKey(service.name()) ? "failed"
                    : "pending";
            Optional<String> error = Optional.ofNullable(stepErrors.get(service.name())).or(() -> crashing).or(() ->
                    state.equals("failed") ? previous(previous, service.name()).flatMap(ServiceStatus::lastError)
                            : Optional.empty());
            list.add(new ServiceStatus(service.name(), state, desired.generation(),
                    service.artifact().storePath().absolute(),
                    serving.flatMap(Actual.RunningUnit::label).map(UnitLabel::storePath),
                    serving.map(Actual.RunningUnit::name), serving.map(Actual.RunningUnit::activeState),
                    serving.flatMap(Actual.RunningUnit::label).map(UnitLabel::port).orElse(OptionalInt.empty()),
                    route.flatMap(Caddy.Route::upstream), error, restarts));
        }
        for (Manifest.Site site : desired.sites()) {
            Optional<Caddy.Route> route = actual.routes().stream()
                    .filter(r -> r.id().equals(planner.routeId(site))).findFirst();
            boolean current = route.flatMap(Caddy.Route::root)
                    .equals(Optional.of(site.artifact().storePath().absolute()));
            list.add(new ServiceStatus(site.name(), current ? "site" : "pending", desired.generation(),
                    site.artifact().storePath().absolute(), route.flatMap(Caddy.Route::root), Optional.empty(),
                    Optional.empty(), OptionalInt.empty(), route.flatMap(Caddy.Route::root),
                    Optional.ofNullable(stepErrors.get(site.name())), java.util.OptionalLong.empty()));
        }
        return list;
    }

    /** The status recorded by the last pass. */
    public DeployerState state() {
        return DeployerState.read(settings.stateDir());
    }

    /** Asks the running loop for a pass now (a new generation was written). */
    public void wake() {
        wakeLock.lock();
        try {
            wakeRequested = true;
            woken.signalAll();
        } finally {
            wakeLock.unlock();
        }
    }

    /**
     * Reconciles at start, when woken and every {@code interval} (the reconcile interval; an agent reading storage
     * passes the poll interval if it is shorter), until {@link #stop()}.
     */
    public void run(Duration interval) {
        run(interval, (report, elapsed) -> { });
    }

    /** What the loop tells after each pass: its report (empty when the pass threw) and how long it took. */
    @FunctionalInterface
    public interface PassListener {
        void passed(Optional<Report> report, Duration elapsed);
    }

    /** As {@link #run(Duration)}, telling {@code listener} about every pass (for metrics). */
    public void run(Duration interval, PassListener listener) {
        while (!stopped) {
            long start = System.nanoTime();
            Optional<Report> outcome = Optional.empty();
            try {
                Report report = reconcile();
                outcome = Optional.of(report);
                if (!report.steps().isEmpty()) {
                    LOG.log(System.Logger.Level.INFO, "deployer: generation {0}: {1} step(s): {2}",
                            report.generation(), report.steps().size(), String.join("; ", report.steps()));
                }
                if (!report.errors().isEmpty()) {
                    LOG.log(System.Logger.Level.WARNING, "deployer: generation {0}: {1}", report.generation(),
                            String.join("; ", report.errors()));
                }
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "deployer: reconcile pass failed: {0}", e.getMessage());
            }
            try {
                listener.passed(outcome, Duration.ofNanos(System.nanoTime() - start));
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "deployer: pass listener failed: {0}", e.getMessage());
            }
            awaitWake(interval);
        }
    }

    private void awaitWake(Duration interval) {
        wakeLock.lock();
        try {
            long nanos = interval.toNanos();
            while (!wakeRequested && !stopped && nanos > 0) {
                nanos = woken.awaitNanos(nanos);
            }
            wakeRequested = false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopped = true;
        } finally {
            wakeLock.unlock();
        }
    }

    public void stop() {
        stopped = true;
        wake();
    }

}
