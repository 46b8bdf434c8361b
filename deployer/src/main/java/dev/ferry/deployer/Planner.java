package dev.ferry.deployer;

import dev.ferry.cache.Manifest;
import dev.ferry.deployer.Actual.RunningUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Compares desired with actual and lists what must change: a pure function, so it is tested without systemd. */
final class Planner {
    private final String prefix;

    Planner(String prefix) {
        this.prefix = prefix;
    }

    String routeId(Manifest.Service service) {
        return prefix + service.name();
    }

    String routeId(Manifest.Site site) {
        return prefix + site.deployedName();
    }

    static String siteProfile(Manifest.Site site) {
        return site.deployedName();
    }

    /**
     * @param failed the spec of each service whose last activation never got ready; it is not retried until the
     *               manifest changes the service
     */
    Plan plan(Desired desired, Actual actual, Map<String, String> failed) {
        List<Plan.Step> steps = new ArrayList<>();
        Set<String> wantedRoutes = new HashSet<>();
        Set<String> wantedProfiles = new HashSet<>();
        Set<String> services = new HashSet<>();
        for (Manifest.Service service : desired.services()) {
            services.add(service.name());
            wantedProfiles.add(service.name());
            if (service.http().isPresent()) {
                wantedRoutes.add(routeId(service));
            }
            planService(service, desired.generation(), actual, failed, steps);
        }
        for (Manifest.Site site : desired.sites()) {
            Caddy.Route want = Caddy.Route.files(routeId(site), site.http().domains(), site.http().path(),
                    site.artifact().storePath().absolute(), site.spa());
            wantedRoutes.add(want.id());
            wantedProfiles.add(siteProfile(site));
            if (!routes(actual, want.id()).equals(List.of(want)) || !actual.profiles().contains(siteProfile(site))) {
                steps.add(new Plan.Site(site, want));
            }
        }
        for (RunningUnit unit : actual.units()) {
            Optional<String> owner = unit.label().map(UnitLabel::service);
            if (owner.isEmpty() || !services.contains(owner.get())) {
                steps.add(new Plan.StopUnit(unit.name(), owner.map(s -> "service " + s + " is not deployed here")
                        .orElse("not started by this deployer")));
            }
        }
        actual.routes().stream().map(Caddy.Route::id).distinct().filter(id -> !wantedRoutes.contains(id))
                .forEach(id -> steps.add(new Plan.DeleteRoute(id)));
        actual.profiles().stream().filter(p -> !wantedProfiles.contains(p))
                .forEach(p -> steps.add(new Plan.RemoveProfile(p)));
        return new Plan(steps);
    }

    private void planService(Manifest.Service service, long generation, Actual actual, Map<String, String> failed,
                             List<Plan.Step> steps) {
        String spec = Desired.spec(service);
        List<RunningUnit> units = actual.units().stream().filter(u -> u.of(service.name())).toList();
        Optional<RunningUnit> current = units.stream()
                .filter(u -> u.active() && u.label().orElseThrow().spec().equals(spec)).reduce((a, b) -> b);
        String id = routeId(service);
        List<Caddy.Route> routes = routes(actual, id);
        if (current.isEmpty()) {
            if (spec.equals(failed.get(service.name()))) {
                // Known not to get ready: keep what serves, clear away anything that is not running.
                units.stream().filter(u -> !u.active())
                        .forEach(u -> steps.add(new Plan.StopUnit(u.name(), "failed activation")));
                units.stream().filter(RunningUnit::active).reduce((a, b) -> b).ifPresent(serving ->
                        serving.label().orElseThrow().port().ifPresent(port -> service.http().ifPresent(http -> {
                            Caddy.Route want = proxy(service, port);
                            if (routes.isEmpty()) {
                                steps.add(new Plan.PutRoute(want));
                            }
                        })));
                return;
            }
            steps.add(new Plan.Activate(service, generation, spec, units.stream().map(RunningUnit::name).toList()));
            return;
        }
        RunningUnit unit = current.get();
        List<String> others = units.stream().filter(u -> u != unit).map(RunningUnit::name).toList();
        if (service.http().isEmpty()) {
            others.forEach(o -> steps.add(new Plan.StopUnit(o, "replaced")));
            return;
        }
        int port = unit.label().orElseThrow().port().orElseThrow(() ->
                new DeployerException("unit " + unit.name() + " serves HTTP but its label has no port"));
        Caddy.Route want = proxy(service, port);
        if (routes.equals(List.of(want))) {
            others.forEach(o -> steps.add(new Plan.StopUnit(o, "replaced")));
        } else if (!others.isEmpty()) {
            steps.add(new Plan.Switch(service, unit.name(), unit.label().orElseThrow().generation(), port, others));
        } else {
            steps.add(new Plan.PutRoute(want));
        }
    }

    Caddy.Route proxy(Manifest.Service service, int port) {
        Manifest.Http http = service.http().orElseThrow();
        return Caddy.Route.proxy(routeId(service), http.domains(), http.path(), "127.0.0.1:" + port);
    }

    private static List<Caddy.Route> routes(Actual actual, String id) {
        return actual.routes().stream().filter(r -> r.id().equals(id)).toList();
    }
}
