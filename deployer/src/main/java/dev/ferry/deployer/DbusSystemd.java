package dev.ferry.deployer;

import dev.ferry.deployer.SystemdBus.ExecCommand;
import dev.ferry.deployer.SystemdBus.ListedUnit;
import dev.ferry.deployer.SystemdBus.Manager;
import dev.ferry.deployer.SystemdBus.Property;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.freedesktop.dbus.DBusPath;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.connections.impl.DBusConnectionBuilder;
import org.freedesktop.dbus.exceptions.DBusException;
import org.freedesktop.dbus.exceptions.DBusExecutionException;
import org.freedesktop.dbus.interfaces.Properties;
import org.freedesktop.dbus.types.UInt64;
import org.freedesktop.dbus.types.Variant;

/** {@link Systemd} over D-Bus with dbus-java. */
final class DbusSystemd implements Systemd {
    private static final String DESTINATION = "org.freedesktop.systemd1";
    private static final String MANAGER_PATH = "/org/freedesktop/systemd1";
    private static final long START_WAIT_MILLIS = 10_000;

    private final DBusConnection connection;
    private final Manager manager;
    private final String bus;

    private DbusSystemd(DBusConnection connection, String bus) throws DBusException {
        this.connection = connection;
        this.bus = bus;
        this.manager = connection.getRemoteObject(DESTINATION, MANAGER_PATH, Manager.class);
    }

    static Systemd connect(String bus) {
        try {
            DBusConnectionBuilder builder = switch (bus) {
                case "system" -> DBusConnectionBuilder.forSystemBus();
                case "user" -> DBusConnectionBuilder.forSessionBus();
                default -> DBusConnectionBuilder.forAddress(bus);
            };
            return new DbusSystemd(builder.withShared(false).build(), bus);
        } catch (DBusException | RuntimeException e) {
            throw new DeployerException("cannot connect to the systemd bus '" + bus + "': " + e.getMessage(), e);
        }
    }

    @Override
    public List<Unit> list(String prefix) {
        return listMatching(prefix + "*.service", prefix);
    }

    private List<Unit> listMatching(String pattern, String prefix) {
        try {
            List<Unit> units = new ArrayList<>();
            for (ListedUnit u : manager.ListUnitsByPatterns(List.of(), List.of(pattern))) {
                if (u.getName().startsWith(prefix)) {
                    units.add(new Unit(u.getName(), u.getDescription(), u.getActiveState(), u.getSubState()));
                }
            }
            return units;
        } catch (DBusExecutionException e) {
            throw new DeployerException("listing units " + prefix + "* on bus '" + bus + "' failed: "
                    + e.getMessage(), e);
        }
    }

    @Override
    public void start(TransientUnit unit) {
        List<Property> properties = properties(unit);
        try {
            manager.StartTransientUnit(unit.name(), "fail", properties, List.of());
        } catch (DBusExecutionException e) {
            throw new DeployerException("starting unit " + unit.name() + " failed: " + e.getMessage(), e);
        }
        String journal = "; see " + UnitExit.journal(DeployerSettings.userManager(bus), unit.name());
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(START_WAIT_MILLIS);
        Optional<Unit> state = Optional.empty();
        while (System.nanoTime() - deadline < 0) {
            state = unit(unit.name());
            if (state.isPresent() && state.get().active()) {
                return;
            }
            if (state.isEmpty()) {
                throw new DeployerException("unit " + unit.name() + " ended as it started: " + UnitExit.GONE + journal);
            }
            // Not inactive: a unit ordered after one that is still starting is inactive until its job runs.
            if (state.get().failed() || state.get().restarting()) {
                throw new DeployerException("unit " + unit.name() + " failed to start: "
                        + UnitExit.read(this, unit.name()).describe() + journal);
            }
            sleep(20);
        }
        throw new DeployerException("unit " + unit.name() + " did not become active within " + START_WAIT_MILLIS
                + " ms (" + state.map(s -> s.activeState() + "/" + s.subState()).orElse("gone") + ")" + journal);
    }

    private static List<Property> properties(TransientUnit unit) {
        List<Property> p = new ArrayList<>();
        p.add(new Property("Description", new Variant<>(unit.description())));
        p.add(new Property("Slice", new Variant<>(unit.slice())));
        p.add(new Property("Type", new Variant<>("exec")));
        String program = unit.execStart().getFirst();
        p.add(new Property("ExecStart", new Variant<>(List.of(new ExecCommand(program, unit.execStart(), false)),
                "a(sasb)")));
        List<String> environment = new ArrayList<>();
        unit.environment().forEach((k, v) -> environment.add(k + "=" + v));
        environment.sort(null);
        if (!environment.isEmpty()) {
            p.add(new Property("Environment", new Variant<>(environment, "as")));
        }
        unit.environmentFile().ifPresent(file -> p.add(new Property("EnvironmentFiles",
                new Variant<>(List.of(new SystemdBus.EnvironmentFile(file, false)), "a(sb)"))));
        if (!unit.credentials().isEmpty()) {
            // name and host path only: systemd reads the file when the unit starts, the value never crosses the bus
            List<SystemdBus.LoadCredential> credentials = new ArrayList<>();
            unit.credentials().forEach((id, path) -> credentials.add(new SystemdBus.LoadCredential(id, path)));
            p.add(new Property("LoadCredential", new Variant<>(credentials, "a(ss)")));
        }
        unit.user().ifPresent(user -> p.add(new Property("User", new Variant<>(user))));
        unit.group().ifPresent(group -> p.add(new Property("Group", new Variant<>(group))));
        if (unit.dynamicUser()) {
            p.add(new Property("DynamicUser", new Variant<>(true)));
        }
        if (unit.privateTmp()) {
            p.add(new Property("PrivateTmp", new Variant<>(true)));
        }
        if (!unit.protectSystem().equals("no")) {
            p.add(new Property("ProtectSystem", new Variant<>(unit.protectSystem())));
        }
        if (unit.protectHome()) {
            p.add(new Property("ProtectHome", new Variant<>("yes")));
        }
        if (unit.noNewPrivileges()) {
            p.add(new Property("NoNewPrivileges", new Variant<>(true)));
        }
        p.add(new Property("Restart", new Variant<>(unit.restart())));
        p.add(new Property("RestartUSec", new Variant<>(new UInt64(unit.restartSec() * 1_000_000L))));
        // Unit dependencies are settable on a transient unit as arrays of unit names (systemd-run -p After=...).
        if (!unit.after().isEmpty()) {
            p.add(new Property("After", new Variant<>(unit.after(), "as")));
        }
        if (!unit.requires().isEmpty()) {
            p.add(new Property("Requires", new Variant<>(unit.requires(), "as")));
        }
        return p;
    }

    @Override
    public void stop(String name) {
        try {
            manager.StopUnit(name, "replace");
        } catch (DBusExecutionException e) {
            if (!String.valueOf(e.getMessage()).contains("not loaded")) {
                throw new DeployerException("stopping unit " + name + " failed: " + e.getMessage(), e);
            }
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() - deadline < 0) {
            Optional<Unit> state = unit(name);
            if (state.isEmpty() || state.get().activeState().equals("inactive")) {
                return;
            }
            if (state.get().failed()) {
                resetFailed(name);
                return;
            }
            sleep(20);
        }
        throw new DeployerException("unit " + name + " did not stop within 30 s");
    }

    private void resetFailed(String name) {
        try {
            manager.ResetFailedUnit(name);
        } catch (DBusExecutionException e) {
            // Gone already: nothing to forget.
        }
    }

    @Override
    public Optional<Unit> unit(String name) {
        return listMatching(name, name).stream().filter(u -> u.name().equals(name)).findFirst();
    }

    @Override
    public Optional<Object> property(String name, String iface, String property) {
        try {
            DBusPath path = manager.GetUnit(name);
            Properties props = connection.getRemoteObject(DESTINATION, path.getPath(), Properties.class);
            Object value = props.Get(iface, property);
            return Optional.ofNullable(plain(value instanceof Variant<?> v ? v.getValue() : value));
        } catch (DBusException | DBusExecutionException e) {
            return Optional.empty();
        }
    }

    /** Structs arrive as {@code Object[]}: turn them (and lists of them) into lists, which print readably. */
    private static Object plain(Object value) {
        if (value instanceof Object[] array) {
            return java.util.Arrays.stream(array).map(DbusSystemd::plain).toList();
        }
        if (value instanceof List<?> list) {
            return list.stream().map(DbusSystemd::plain).toList();
        }
        return value;
    }

    @Override
    public void close() {
        try {
            connection.close();
        } catch (IOException e) {
            // Closing a bus connection has nothing left to report.
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DeployerException("interrupted while waiting for systemd", e);
        }
    }

}
