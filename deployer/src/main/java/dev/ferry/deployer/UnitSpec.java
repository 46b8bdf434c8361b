package dev.ferry.deployer;

import dev.ferry.cache.Manifest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** How a manifest service becomes a transient unit. */
final class UnitSpec {
    private UnitSpec() {
    }

    /**
     * Fails, naming the file, if the service's {@code envFile} is certainly not there (or is a directory), or, under
     * a user manager (which reads it with the rights of the user the deployer runs as), cannot be read. Without this,
     * systemd fails the unit with {@code Result=resources} and says nothing of the file. Only the file's metadata is
     * looked at, never its contents. On the system bus the manager reads it as root, so a file the deployer cannot
     * read may be fine; and a file whose existence the deployer cannot tell (a directory it may not search) is left to
     * systemd.
     */
    static void requireEnvFile(Manifest.Service service, DeployerSettings settings) {
        if (service.envFile().isEmpty()) {
            return;
        }
        String file = service.envFile().get();
        Path path = Path.of(file);
        String named = "envFile " + file + " of service " + service.name();
        if (Files.notExists(path)) {
            throw new DeployerException(named + " does not exist");
        }
        if (Files.isDirectory(path)) {
            throw new DeployerException(named + " is a directory");
        }
        if (settings.userManager() && Files.exists(path) && !Files.isReadable(path)) {
            throw new DeployerException(named + " is not readable by user " + System.getProperty("user.name")
                    + ", whose systemd user manager reads it when the unit starts");
        }
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
