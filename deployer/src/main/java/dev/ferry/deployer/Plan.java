package dev.ferry.deployer;

import dev.ferry.cache.Manifest;
import java.util.List;

/** The steps that take {@link Actual} to {@link Desired}, in order; empty when nothing differs. */
record Plan(List<Step> steps) {
    Plan {
        steps = List.copyOf(steps);
    }

    boolean isEmpty() {
        return steps.isEmpty();
    }

    sealed interface Step {
        /** Human-readable, for logs and status. */
        String describe();
    }

    /**
     * Start the service's desired version: realise and pin its closure, start a new unit, wait until it is ready,
     * point the route at it, then stop {@code previous} (blue-green); or, when it cannot run beside the old version
     * (no HTTP, or a fixed internal port), stop {@code previous} first.
     */
    record Activate(Manifest.Service service, long generation, String spec, List<String> previous) implements Step {
        public String describe() {
            return "activate " + service.name() + " (generation " + generation + ", "
                    + service.artifact().storePath() + ")";
        }
    }

    /**
     * A unit of the desired spec (started for {@code generation}) runs but the route still points elsewhere (an
     * interrupted switch): finish it.
     */
    record Switch(Manifest.Service service, String unit, long generation, int port, List<String> previous)
            implements Step {
        public String describe() {
            return "switch " + service.name() + " to " + unit;
        }
    }

    record PutRoute(Caddy.Route route) implements Step {
        public String describe() {
            return "route " + route.id() + " -> " + route.upstream().or(route::root).orElse("?");
        }
    }

    record DeleteRoute(String id) implements Step {
        public String describe() {
            return "remove route " + id;
        }
    }

    record StopUnit(String unit, String why) implements Step {
        public String describe() {
            return "stop " + unit + " (" + why + ")";
        }
    }

    /** Realise and pin a static site's closure, then put its route. */
    record Site(Manifest.Site site, Caddy.Route route) implements Step {
        public String describe() {
            return "site " + site.name() + " (" + site.artifact().storePath() + ")";
        }
    }

    record RemoveProfile(String name) implements Step {
        public String describe() {
            return "remove profile " + name;
        }
    }
}
