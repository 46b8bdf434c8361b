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

    /** A unit with Ferry's prefix; {@code label} is empty for a unit whose description Ferry did not write. */
    record RunningUnit(String name, Optional<UnitLabel> label, String activeState) {
        boolean active() {
            return "active".equals(activeState) || "activating".equals(activeState) || "reloading".equals(activeState);
        }

        boolean of(String service) {
            return label.map(l -> l.service().equals(service)).orElse(false);
        }
    }

    /** This host as it is: Ferry's units (whose names start with {@code prefix}), {@code routes}, the profiles. */
    static Actual observe(Systemd systemd, List<Caddy.Route> routes, NixStore nix, String prefix) {
        List<RunningUnit> units = systemd.list(prefix).stream()
                .map(u -> new RunningUnit(u.name(), UnitLabel.parse(u.description()), u.activeState())).toList();
        return new Actual(units, routes, nix.services());
    }
}
