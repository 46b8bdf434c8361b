package dev.ferry.deployer;

import java.util.List;
import java.util.Optional;

/** What runs now, observed afresh on every pass: Ferry's units, Ferry's Caddy routes, the services with profiles. */
record Actual(List<RunningUnit> units, List<Caddy.Route> routes, List<String> profiles) {
    Actual {
        units = List.copyOf(units);
        routes = List.copyOf(routes);
        profiles = List.copyOf(profiles);
    }

    /**
     * A unit with Ferry's prefix; {@code label} is empty for a unit whose description Ferry did not write. A unit
     * whose program exited and that systemd starts again ({@code activating/auto-restart}) is still {@link #active}:
     * it is this service's unit, and systemd, not a new unit, restarts it; but it does not run ({@link #restarting}).
     */
    record RunningUnit(String name, Optional<UnitLabel> label, String activeState, String subState) {
        boolean active() {
            return "active".equals(activeState) || "activating".equals(activeState) || "reloading".equals(activeState);
        }

        boolean restarting() {
            return Systemd.Unit.restarting(subState);
        }

        boolean of(String service) {
            return label.map(l -> l.service().equals(service)).orElse(false);
        }
    }

    /** This host as it is: Ferry's units (whose names start with {@code prefix}), {@code routes}, the profiles. */
    static Actual observe(Systemd systemd, List<Caddy.Route> routes, NixStore nix, String prefix) {
        List<RunningUnit> units = systemd.list(prefix).stream()
                .map(u -> new RunningUnit(u.name(), UnitLabel.parse(u.description()), u.activeState(),
                        u.subState())).toList();
        return new Actual(units, routes, nix.services());
    }
}
