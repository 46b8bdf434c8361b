package dev.ferry.deployer;

import dev.ferry.cache.Manifest;
import dev.ferry.nix.StorePath;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Runs a {@link Plan}'s steps in order, except that consecutive activations, switches and sites (each a different
 * service or site) run {@value #PARALLEL} at a time: realising a closure, waiting for readiness and draining are
 * mostly waiting. A step that fails is reported under its service and does not stop the others. {@code failed} is
 * updated with the specs that never got ready.
 */
final class Executor {
    private static final System.Logger LOG = System.getLogger(Executor.class.getName());
    /** Activations, switches and sites in flight at once. */
    static final int PARALLEL = 4;
    private static final String PREVIOUS_SERVES = "; the previous version keeps serving";
    /** How long a service without HTTP (nothing to ask whether it is ready) must stay up after its start. */
    static final Duration SETTLE = Duration.ofSeconds(1);

    private final DeployerSettings settings;
    private final Systemd systemd;
    private final Caddy caddy;
    private final NixStore nix;
    private final ReadyCheck ready;
    private final PortAllocator ports;
    private final Planner planner;
    private final Duration drain;
    private final Consumer<String> afterUnitStarted;
    /** Ports given to activations of the pass running now: taken before their units show them. */
    private final Set<Integer> handedOut = new HashSet<>();
    /** Caddy's routes are read, then changed: one change at a time. */
    private final Object caddyLock = new Object();

    Executor(DeployerSettings settings, Systemd systemd, Caddy caddy, NixStore nix, ReadyCheck ready,
             Duration drain, Consumer<String> afterUnitStarted) {
        this.settings = settings;
        this.systemd = systemd;
        this.caddy = caddy;
        this.nix = nix;
        this.ready = ready;
        this.ports = PortAllocator.range(settings.portFirst(), settings.portLast());
        this.planner = new Planner(settings.unitPrefix());
        this.drain = drain;
        this.afterUnitStarted = afterUnitStarted;
    }

    /** Executes {@code plan}; returns the error of each service (or route, unit, profile) whose step failed. */
    Map<String, String> execute(Plan plan, Map<String, String> failed) {
        Map<String, String> errors = Collections.synchronizedMap(new TreeMap<>());
        Map<String, String> failedNow = Collections.synchronizedMap(failed);
        synchronized (handedOut) {
            handedOut.clear();
            // A fixed port is free between its old unit's stop and its new unit's start: never hand it out then.
            for (Plan.Step step : plan.steps()) {
                if (step instanceof Plan.Activate a) {
                    a.service().http().flatMap(h -> h.internalPort().isPresent()
                            ? Optional.of(h.internalPort().getAsInt()) : Optional.empty()).ifPresent(handedOut::add);
                }
            }
        }
        List<Plan.Step> batch = new ArrayList<>();
        for (Plan.Step step : plan.steps()) {
            if (step instanceof Plan.Activate || step instanceof Plan.Switch || step instanceof Plan.Site) {
                batch.add(step);
            } else {
                runAll(batch, errors, failedNow);
                batch.clear();
                runLogged(step, errors, failedNow);
            }
        }
        runAll(batch, errors, failedNow);
        return new TreeMap<>(errors);
    }

    private void runAll(List<Plan.Step> batch, Map<String, String> errors, Map<String, String> failed) {
        if (batch.size() < 2) {
            batch.forEach(step -> runLogged(step, errors, failed));
            return;
        }
        List<Future<?>> running = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(Math.min(PARALLEL, batch.size()),
                Thread.ofPlatform().daemon().name("ferry-activate-", 0).factory())) {
            for (Plan.Step step : batch) {
                running.add(pool.submit(() -> runLogged(step, errors, failed)));
            }
        }
        for (Future<?> future : running) {
            try {
                future.get();
            } catch (ExecutionException e) {
                // What runLogged does not report (a bug, an Error) ends the pass as it would without the pool.
                switch (e.getCause()) {
                    case RuntimeException r -> throw r;
                    case Error r -> throw r;
                    default -> throw new IllegalStateException(e.getCause());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new DeployerException("interrupted while activating", e);
            }
        }
    }

    private void runLogged(Plan.Step step, Map<String, String> errors, Map<String, String> failed) {
        LOG.log(System.Logger.Level.INFO, "deployer: {0}", step.describe());
        try {
            run(step, failed);
        } catch (DeployerException | dev.ferry.process.ProcessException | java.io.UncheckedIOException e) {
            LOG.log(System.Logger.Level.WARNING, "deployer: {0} failed: {1}", step.describe(), e.getMessage());
            errors.put(owner(step), e.getMessage());
        }
    }

    private static String owner(Plan.Step step) {
        return switch (step) {
            case Plan.Activate a -> a.service().name();
            case Plan.Switch s -> s.service().name();
            case Plan.Site s -> s.site().name();
            case Plan.PutRoute r -> r.route().id();
            case Plan.DeleteRoute d -> d.id();
            case Plan.StopUnit u -> u.unit();
            case Plan.RemoveProfile p -> p.name();
        };
    }

    private void run(Plan.Step step, Map<String, String> failed) {
        switch (step) {
            case Plan.Activate a -> activate(a, failed);
            case Plan.Switch s -> {
                try {
                    requireReady(s.service(), s.port(), s.unit(), s.generation());
                } catch (DeployerException e) {
                    throw serving(s.previous()) ? new DeployerException(e.getMessage() + PREVIOUS_SERVES, e) : e;
                }
                putRoute(planner.proxy(s.service(), s.port()));
                drainThenStop(s.previous());
            }
            case Plan.PutRoute r -> putRoute(r.route());
            case Plan.DeleteRoute d -> {
                synchronized (caddyLock) {
                    caddy.delete(d.id());
                }
            }
            case Plan.StopUnit u -> systemd.stop(u.unit());
            case Plan.RemoveProfile p -> nix.remove(p.name());
            case Plan.Site s -> {
                StorePath path = s.site().artifact().storePath();
                nix.realise(path, settings.substituters(), settings.trustedKeys());
                NixStore.Pin pin = nix.pin(Planner.siteProfile(s.site()), path);
                putRoute(s.route());
                if (pin.made().isPresent()) {
                    nix.prune(Planner.siteProfile(s.site()), settings.keepGenerations());
                }
            }
        }
    }

    private void activate(Plan.Activate a, Map<String, String> failed) {
        Manifest.Service service = a.service();
        // Before anything is stopped: a version that cannot start must not take the running one down with it.
        UnitSpec.requireEnvFile(service, settings);
        StorePath path = service.artifact().storePath();
        nix.realise(path, settings.substituters(), settings.trustedKeys());
        String program = service.exec().program(path);
        if (program.startsWith(path.absolute() + "/") && !nix.isExecutable(program)) {
            failed.put(service.name(), a.spec()); // a store path never changes: the next pass would fail the same way
            throw new DeployerException("exec.command '" + service.exec().command() + "' of service "
                    + service.name() + " is not in its closure: " + program + " does not exist or is not executable");
        }
        if (service.http().isPresent() && service.http().get().internalPort().isPresent()) {
            requireFixedPortFree(a, service.http().get().internalPort().getAsInt());
        }
        // Pinned before the start, so nothing collects it meanwhile. The generations before it (the version that runs
        // now among them) are kept until this one runs; a version that does not start takes its generation back.
        NixStore.Pin pin = nix.pin(service.name(), path);
        boolean http = service.http().isPresent();
        boolean blueGreen = http && service.http().get().internalPort().isEmpty();
        Optional<Integer> port;
        try {
            if (!blueGreen) {
                a.previous().forEach(systemd::stop);
            }
            port = http ? Optional.of(service.http().get().internalPort().isPresent()
                    ? service.http().get().internalPort().getAsInt() : allocatePort()) : Optional.empty();
            String unit = settings.unitPrefix() + service.name() + "-g" + a.generation() + "-"
                    + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000, 0x10000)) + ".service";
            UnitLabel label = new UnitLabel(service.name(), a.generation(), a.spec(),
                    port.map(java.util.OptionalInt::of).orElse(java.util.OptionalInt.empty()), path.absolute());
            // Only a blue-green activation leaves the previous version running while the new one starts.
            List<String> beside = blueGreen ? a.previous() : List.of();
            try {
                systemd.start(UnitSpec.of(service, unit, label, port, settings));
            } catch (DeployerException e) {
                throw failedActivation(e, unit, service, a.spec(), beside, failed);
            }
            afterUnitStarted.accept(unit);
            try {
                if (http) {
                    requireReady(service, port.get(), unit, a.generation());
                } else {
                    requireStaysUp(unit, a.generation());
                }
            } catch (DeployerException e) {
                throw failedActivation(e, unit, service, a.spec(), beside, failed);
            }
        } catch (RuntimeException e) {
            unpin(service.name(), pin, e);
            throw e;
        }
        // The new version runs (a failed route switch is finished by the next pass): its generation stays.
        if (http) {
            putRoute(planner.proxy(service, port.get()));
            if (blueGreen) {
                drainThenStop(a.previous());
            }
        }
        if (pin.made().isPresent()) {
            nix.prune(service.name(), settings.keepGenerations());
        }
    }

    /**
     * A fixed {@code internalPort} must not be another program's: the ready check would pass against that program
     * and Caddy would route to it. Checked before anything is stopped. A port another of Ferry's services holds (its
     * unit's label says so; the manifest's rules keep fixed ports apart, not a fixed port from an allocated one), or
     * that something else listens on when this service has no unit that could hold it, fails the activation; it is
     * tried again after a back-off (the holder may be a service this pass removes).
     */
    private void requireFixedPortFree(Plan.Activate a, int port) {
        String name = a.service().name();
        for (Systemd.Unit u : systemd.list(settings.unitPrefix())) {
            Optional<UnitLabel> label = UnitLabel.parse(u.description());
            if (label.isPresent() && !label.get().service().equals(name) && label.get().port().isPresent()
                    && label.get().port().getAsInt() == port && !u.exited()) {
                // Not recorded as failed: the holder may be stopped later in this very pass (a renamed service).
                throw new DeployerException("http.internalPort " + port + " of service " + name + " is held by "
                        + "service " + label.get().service() + " (" + u.name() + "): choose another internalPort, "
                        + "outside ferry.deployer.port-range");
            }
        }
        if (a.previous().isEmpty() && !PortAllocator.bindable(port, true)) {
            throw new DeployerException("http.internalPort " + port + " of service " + name + " is in use by "
                    + "another program on this host");
        }
    }

    /** {@link NixStore#unpin}, whose own failure is added to {@code failure} rather than hiding it. */
    private void unpin(String service, NixStore.Pin pin, RuntimeException failure) {
        try {
            nix.unpin(service, pin);
        } catch (RuntimeException e) {
            failure.addSuppressed(e);
            LOG.log(System.Logger.Level.WARNING, "deployer: taking back the profile generation of {0} failed: {1}",
                    service, e.getMessage());
        }
    }

    /**
     * A service without HTTP has no ready check; systemd reports it active as soon as its program runs ({@code
     * Type=exec}). One whose program exits at once (a bad argument, a missing file, a program that is done: exit 0)
     * would pass for started and be started again on every pass: it must stay up for {@link #SETTLE} first.
     */
    private void requireStaysUp(String unit, long generation) {
        long deadline = System.nanoTime() + SETTLE.toNanos();
        while (true) {
            Optional<Optional<Systemd.Unit>> seen;
            try {
                seen = Optional.of(systemd.unit(unit));
            } catch (DeployerException e) {
                seen = Optional.empty(); // the bus did not answer: as for the ready check, the deadline bounds it
            }
            if (seen.isPresent() && (seen.get().isEmpty() || seen.get().get().exited())) {
                throw new DeployerException("unit " + unit + " (generation " + generation + ") did not stay up for "
                        + SETTLE.toMillis() + " ms: " + (seen.get().isEmpty() ? UnitExit.GONE
                        : "its program " + UnitExit.read(systemd, unit).describe()) + "; see "
                        + UnitExit.journal(settings.userManager(), unit));
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return;
            }
            try {
                Thread.sleep(Math.min(50, Math.max(1, left / 1_000_000)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new DeployerException("interrupted while watching " + unit + " start", e);
            }
        }
    }

    /**
     * Waits until the unit answers its ready check; fails as soon as systemd reports its program gone (failed,
     * inactive, or waiting to be restarted), with the exit status, rather than after the whole timeout.
     */
    private void requireReady(Manifest.Service service, int port, String unit, long generation) {
        String path = service.ready().map(r -> r.http().path()).orElse(Manifest.HttpCheck.DEFAULT_PATH);
        int seconds = service.ready().map(r -> r.http().timeoutSeconds())
                .orElse(Manifest.HttpCheck.DEFAULT_TIMEOUT_SECONDS);
        AtomicBoolean gone = new AtomicBoolean();
        BooleanSupplier stillRunning = () -> {
            try {
                Optional<Systemd.Unit> state = systemd.unit(unit);
                gone.set(state.isEmpty() || state.get().exited());
                return !gone.get();
            } catch (DeployerException e) {
                return true; // the bus did not answer: the unit may well run, and the timeout still bounds the wait
            }
        };
        if (ready.await(port, path, Duration.ofSeconds(seconds), stillRunning)) {
            return;
        }
        String request = "GET http://127.0.0.1:" + port + path;
        String after = "; see " + UnitExit.journal(settings.userManager(), unit);
        if (gone.get()) {
            throw new DeployerException(unit + " (generation " + generation + ") " + UnitExit.read(systemd, unit).describe()
                    + " before it answered " + request + after);
        }
        throw new DeployerException(unit + " (generation " + generation + ") never got ready: " + request
                + " did not answer 2xx within " + seconds + " s" + after);
    }

    /**
     * Stops the unit of an activation that failed, and the error to report. The spec is recorded as failed (not
     * tried again until the manifest changes it), except when the program exited and systemd was about to start it
     * again ({@code Restart=}, {@code auto-restart}) for a reason of the program's own: it may wait for something
     * that is not up yet, so it is tried again after a {@link Backoff}. systemd's own set-up failures (a missing EnvironmentFile or
     * credential, exit statuses 200 to 243) do not mend themselves.
     */
    private DeployerException failedActivation(DeployerException e, String unit, Manifest.Service service,
                                               String spec, List<String> beside, Map<String, String> failed) {
        boolean again = restartingOfItsOwn(unit);
        systemd.stop(unit);
        if (!again) {
            failed.put(service.name(), spec);
        }
        // When it is tried again (again: after a back-off) the pass adds to the message.
        String message = e.getMessage() + (serving(beside) ? PREVIOUS_SERVES : "");
        return message.equals(e.getMessage()) ? e : new DeployerException(message, e);
    }

    private boolean restartingOfItsOwn(String unit) {
        try {
            return systemd.unit(unit).map(Systemd.Unit::restarting).orElse(false)
                    && !UnitExit.read(systemd, unit).setUpFailed();
        } catch (DeployerException e) {
            return false; // the bus did not answer: as before, the spec is not tried again
        }
    }

    /** Whether one of {@code units} is active: "the previous version keeps serving" is said only then. */
    private boolean serving(List<String> units) {
        for (String name : units) {
            try {
                if (systemd.unit(name).map(Systemd.Unit::active).orElse(false)) {
                    return true;
                }
            } catch (DeployerException e) {
                // not known to serve
            }
        }
        return false;
    }

    private void drainThenStop(List<String> previous) {
        if (previous.isEmpty()) {
            return;
        }
        try {
            Thread.sleep(drain.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DeployerException("interrupted while draining " + previous, e);
        }
        previous.forEach(systemd::stop);
    }

    private void putRoute(Caddy.Route route) {
        synchronized (caddyLock) {
            caddy.put(route);
        }
    }

    /** A port no unit of Ferry's holds and no activation of this pass was given. */
    private int allocatePort() {
        synchronized (handedOut) {
            Set<Integer> taken = takenPorts();
            taken.addAll(handedOut);
            int port = ports.allocate(taken);
            handedOut.add(port);
            return port;
        }
    }

    private Set<Integer> takenPorts() {
        Set<Integer> taken = new HashSet<>();
        for (Systemd.Unit u : systemd.list(settings.unitPrefix())) {
            UnitLabel.parse(u.description()).flatMap(l -> l.port().isPresent()
                    ? Optional.of(l.port().getAsInt()) : Optional.empty()).ifPresent(taken::add);
        }
        return taken;
    }
}
