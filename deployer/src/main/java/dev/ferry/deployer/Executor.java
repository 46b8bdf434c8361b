package dev.ferry.deployer;

import dev.ferry.cache.Manifest;
import dev.ferry.nix.StorePath;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;

/**
 * Runs a {@link Plan}'s steps one after another. A step that fails is reported under its service and does not stop
 * the others. {@code failed} is updated with the specs that never got ready.
 */
final class Executor {
    private static final System.Logger LOG = System.getLogger(Executor.class.getName());

    private final DeployerSettings settings;
    private final Systemd systemd;
    private final Caddy caddy;
    private final NixStore nix;
    private final ReadyCheck ready;
    private final PortAllocator ports;
    private final Planner planner;
    private final Duration drain;
    private final Consumer<String> afterUnitStarted;

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
        Map<String, String> errors = new java.util.TreeMap<>();
        for (Plan.Step step : plan.steps()) {
            LOG.log(System.Logger.Level.INFO, "deployer: {0}", step.describe());
            try {
                run(step, failed);
            } catch (DeployerException | dev.ferry.process.ProcessException | java.io.UncheckedIOException e) {
                LOG.log(System.Logger.Level.WARNING, "deployer: {0} failed: {1}", step.describe(), e.getMessage());
                errors.put(owner(step), e.getMessage());
            }
        }
        return errors;
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
                requireReady(s.service(), s.port(), s.unit());
                caddy.put(planner.proxy(s.service(), s.port()));
                drainThenStop(s.previous());
            }
            case Plan.PutRoute r -> caddy.put(r.route());
            case Plan.DeleteRoute d -> caddy.delete(d.id());
            case Plan.StopUnit u -> systemd.stop(u.unit());
            case Plan.RemoveProfile p -> nix.remove(p.name());
            case Plan.Site s -> {
                StorePath path = s.site().artifact().storePath();
                nix.realise(path, settings.substituters(), settings.trustedKeys());
                nix.pin(Planner.siteProfile(s.site()), path, settings.keepGenerations());
                caddy.put(s.route());
            }
        }
    }

    private void activate(Plan.Activate a, Map<String, String> failed) {
        Manifest.Service service = a.service();
        StorePath path = service.artifact().storePath();
        nix.realise(path, settings.substituters(), settings.trustedKeys());
        nix.pin(service.name(), path, settings.keepGenerations());
        boolean http = service.http().isPresent();
        boolean blueGreen = http && service.http().get().internalPort().isEmpty();
        if (!blueGreen) {
            a.previous().forEach(systemd::stop);
        }
        Optional<Integer> port = http ? Optional.of(service.http().get().internalPort().isPresent()
                ? service.http().get().internalPort().getAsInt() : ports.allocate(takenPorts())) : Optional.empty();
        String unit = settings.unitPrefix() + service.name() + "-g" + a.generation() + "-"
                + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000, 0x10000)) + ".service";
        UnitLabel label = new UnitLabel(service.name(), a.generation(), a.spec(),
                port.map(java.util.OptionalInt::of).orElse(java.util.OptionalInt.empty()), path.absolute());
        try {
            systemd.start(UnitSpec.of(service, unit, label, port, settings));
        } catch (DeployerException e) {
            systemd.stop(unit);
            failed.put(service.name(), a.spec());
            throw e;
        }
        afterUnitStarted.accept(unit);
        if (!http) {
            return;
        }
        try {
            requireReady(service, port.get(), unit);
        } catch (DeployerException e) {
            systemd.stop(unit);
            failed.put(service.name(), a.spec());
            throw e;
        }
        caddy.put(planner.proxy(service, port.get()));
        if (blueGreen) {
            drainThenStop(a.previous());
        }
    }

    private void requireReady(Manifest.Service service, int port, String unit) {
        String path = service.ready().map(r -> r.http().path()).orElse(Manifest.HttpCheck.DEFAULT_PATH);
        int seconds = service.ready().map(r -> r.http().timeoutSeconds())
                .orElse(Manifest.HttpCheck.DEFAULT_TIMEOUT_SECONDS);
        if (!ready.await(port, path, Duration.ofSeconds(seconds))) {
            throw new DeployerException("generation's " + unit + " never got ready: GET http://127.0.0.1:" + port
                    + path + " did not answer 2xx within " + seconds + " s; the previous version keeps serving");
        }
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

    private Set<Integer> takenPorts() {
        Set<Integer> taken = new HashSet<>();
        for (Systemd.Unit u : systemd.list(settings.unitPrefix())) {
            UnitLabel.parse(u.description()).flatMap(l -> l.port().isPresent()
                    ? Optional.of(l.port().getAsInt()) : Optional.empty()).ifPresent(taken::add);
        }
        return taken;
    }
}
