package dev.ferry.deployer;

import dev.ferry.cache.Manifest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** How a manifest service becomes a transient unit. */
final class UnitSpec {
    private UnitSpec() {
    }

    static Systemd.TransientUnit of(Manifest.Service service, String unit, UnitLabel label, Optional<Integer> port,
                                    DeployerSettings settings) {
        String program = service.exec().program(service.artifact().storePath());
        List<String> argv = new ArrayList<>();
        argv.add(program);
        argv.addAll(service.exec().args());
        Map<String, String> env = new TreeMap<>(service.env());
        port.ifPresent(p -> env.put("PORT", Integer.toString(p)));
        Manifest.Hardening h = service.hardening();
        boolean user = settings.userManager();
        // A user manager cannot switch users and cannot set up ProtectHome's namespace (exit 226/NAMESPACE):
        // those are applied only on the system bus (docs/deployer.md).
        return new Systemd.TransientUnit(unit, label.render(), DeployerSettings.SLICE, argv, env,
                service.envFile(), service.credentials(), user ? Optional.empty() : service.exec().user(),
                user ? Optional.empty() : service.exec().group(), !user && h.dynamicUser()
                        && service.exec().user().isEmpty(),
                h.privateTmp(), h.protectSystem(), !user && h.protectHome(), true,
                service.systemd().restart(), service.systemd().restartSec(), service.systemd().after(),
                service.systemd().requires());
    }
}
