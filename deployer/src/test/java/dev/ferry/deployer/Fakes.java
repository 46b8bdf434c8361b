package dev.ferry.deployer;

import dev.ferry.nix.PublicKey;
import dev.ferry.nix.StorePath;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/** In-memory stand-ins for the deployer's seams, for unit tests of a pass's logic (the ITs run the real ones). */
final class Fakes {
    private Fakes() {
    }

    /**
     * Units start active at once; {@code hidden} keeps them out of {@link #list}, as a unit not yet loaded is. With
     * {@code exitStatus} set, every unit's program has exited with it right after the start, and systemd waits to
     * restart it ({@code activating/auto-restart}, {@code Result=exit-code}), as with {@code Restart=on-failure}.
     */
    static final class FakeSystemd implements Systemd {
        final List<TransientUnit> started = new CopyOnWriteArrayList<>();
        final List<String> stopped = new CopyOnWriteArrayList<>();
        volatile boolean hidden;
        volatile OptionalInt exitStatus = OptionalInt.empty();
        /** Units that run (active) until stopped, started before the test (a previous version): no label. */
        final List<String> running = new CopyOnWriteArrayList<>();
        /** NRestarts of units systemd started again (a program that exits between passes): none means 0. */
        final Map<String, Long> restarts = new java.util.concurrent.ConcurrentHashMap<>();

        @Override
        public List<Unit> list(String prefix) {
            if (hidden) {
                return List.of();
            }
            boolean exited = exitStatus.isPresent();
            List<Unit> units = new java.util.ArrayList<>(running.stream()
                    .filter(name -> name.startsWith(prefix) && !stopped.contains(name))
                    .map(name -> new Unit(name, "", "active", "running")).toList());
            started.stream().filter(u -> u.name().startsWith(prefix) && !stopped.contains(u.name()))
                    .map(u -> new Unit(u.name(), u.description(), exited ? "activating" : "active",
                            exited ? "auto-restart" : "running")).forEach(units::add);
            return units;
        }

        @Override
        public void start(TransientUnit unit) {
            started.add(unit);
        }

        @Override
        public void stop(String name) {
            stopped.add(name);
        }

        @Override
        public Optional<Unit> unit(String name) {
            return list("").stream().filter(u -> u.name().equals(name)).findFirst();
        }

        @Override
        public Optional<Object> property(String name, String iface, String property) {
            if (property.equals("NRestarts") && unit(name).isPresent()) {
                return Optional.of(restarts.getOrDefault(name, 0L));
            }
            if (exitStatus.isEmpty() || running.contains(name) || unit(name).isEmpty()
                    || !iface.equals("org.freedesktop.systemd1.Service")) {
                return Optional.empty();
            }
            return switch (property) {
                case "Result" -> Optional.of("exit-code");
                case "ExecMainCode" -> Optional.of(1); // CLD_EXITED
                case "ExecMainStatus" -> Optional.of(exitStatus.getAsInt());
                default -> Optional.empty();
            };
        }

        @Override
        public void close() {
        }
    }

    /** Routes in a list; {@code ensureServer} fails from its {@code failFrom}-th call on (1-based; 0: never). */
    static final class FakeCaddy implements Caddy {
        final Map<String, Route> routes = Collections.synchronizedMap(new LinkedHashMap<>());
        final AtomicInteger ensureCalls = new AtomicInteger();
        volatile int failFrom;

        @Override
        public List<Route> ensureServer(String listen, String idPrefix) {
            int call = ensureCalls.incrementAndGet();
            if (failFrom > 0 && call >= failFrom) {
                throw new DeployerException("Caddy's admin API at http://127.0.0.1:1 refused the connection");
            }
            return routes(idPrefix);
        }

        @Override
        public List<Route> routes(String idPrefix) {
            synchronized (routes) {
                return routes.values().stream().filter(r -> r.id().startsWith(idPrefix)).toList();
            }
        }

        @Override
        public void put(Route route) {
            routes.put(route.id(), route);
        }

        @Override
        public void delete(String id) {
            routes.remove(id);
        }
    }

    /** Every path is valid; pins are remembered per service. */
    static final class FakeNix implements NixStore {
        final Map<String, StorePath> pins = Collections.synchronizedMap(new LinkedHashMap<>());
        /** Programs (absolute) the fake closures lack; every other one is there. */
        final java.util.Set<String> missingPrograms = java.util.concurrent.ConcurrentHashMap.newKeySet();

        @Override
        public boolean isValid(StorePath path) {
            return true;
        }

        @Override
        public boolean isExecutable(String program) {
            return !missingPrograms.contains(program);
        }

        @Override
        public void realise(StorePath path, List<String> substituters, List<PublicKey> trustedKeys) {
        }

        /** Each service's profile generations, oldest first (the fake's history behind {@link #pins}). */
        final Map<String, List<StorePath>> generations = Collections.synchronizedMap(new LinkedHashMap<>());

        @Override
        public synchronized Pin pin(String service, StorePath path) {
            if (path.equals(pins.get(service))) {
                return Pin.NOTHING;
            }
            List<StorePath> all = generations.computeIfAbsent(service, s -> new java.util.ArrayList<>());
            java.util.OptionalLong before = pins.containsKey(service)
                    ? java.util.OptionalLong.of(all.lastIndexOf(pins.get(service))) : java.util.OptionalLong.empty();
            all.add(path);
            pins.put(service, path);
            return new Pin(java.util.OptionalLong.of(all.size() - 1), before);
        }

        @Override
        public synchronized void unpin(String service, Pin pin) {
            if (pin.made().isEmpty()) {
                return;
            }
            if (pin.before().isEmpty()) {
                remove(service);
                return;
            }
            List<StorePath> all = generations.get(service);
            pins.put(service, all.get((int) pin.before().getAsLong()));
            all.remove((int) pin.made().getAsLong());
        }

        @Override
        public synchronized void prune(String service, int keep) {
            List<StorePath> all = generations.getOrDefault(service, new java.util.ArrayList<>());
            while (all.size() > keep) {
                all.removeFirst();
            }
        }

        @Override
        public Optional<StorePath> pinned(String service) {
            return Optional.ofNullable(pins.get(service));
        }

        @Override
        public StorePath rollback(String service) {
            throw new DeployerException("no earlier generation of " + service);
        }

        @Override
        public synchronized void remove(String service) {
            pins.remove(service);
            generations.remove(service);
        }

        @Override
        public List<String> services() {
            return new ArrayList<>(pins.keySet());
        }
    }
}
