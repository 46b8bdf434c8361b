package dev.ferry.deployer;

import java.util.List;
import org.freedesktop.dbus.DBusPath;
import org.freedesktop.dbus.Struct;
import org.freedesktop.dbus.annotations.DBusInterfaceName;
import org.freedesktop.dbus.annotations.Position;
import org.freedesktop.dbus.interfaces.DBusInterface;
import org.freedesktop.dbus.types.UInt32;
import org.freedesktop.dbus.types.Variant;

/**
 * The D-Bus wire declarations of systemd's manager that {@link DbusSystemd} uses. They are public only because
 * dbus-java builds proxies and structs by reflection; nothing else in Ferry should use them.
 */
public final class SystemdBus {
    private SystemdBus() {
    }

    /** {@code org.freedesktop.systemd1.Manager}: only the methods Ferry calls, with their exact signatures. */
    @DBusInterfaceName("org.freedesktop.systemd1.Manager")
    public interface Manager extends DBusInterface {
        /** {@code StartTransientUnit(ssa(sv)a(sa(sv))) -> o} */
        DBusPath StartTransientUnit(String name, String mode, List<Property> properties, List<AuxUnit> aux);

        DBusPath StopUnit(String name, String mode);

        void ResetFailedUnit(String name);

        DBusPath GetUnit(String name);

        /** {@code ListUnitsByPatterns(asas) -> a(ssssssouso)} */
        List<ListedUnit> ListUnitsByPatterns(List<String> states, List<String> patterns);
    }

    /** {@code (sv)}: one unit property. */
    public static final class Property extends Struct {
        @Position(0)
        private final String name;
        @Position(1)
        private final Variant<?> value;

        public Property(String name, Variant<?> value) {
            this.name = name;
            this.value = value;
        }

        public String getName() {
            return name;
        }

        public Variant<?> getValue() {
            return value;
        }
    }

    /** {@code (sa(sv))}: an auxiliary unit (never used by Ferry, but part of the signature). */
    public static final class AuxUnit extends Struct {
        @Position(0)
        private final String name;
        @Position(1)
        private final List<Property> properties;

        public AuxUnit(String name, List<Property> properties) {
            this.name = name;
            this.properties = properties;
        }

        public String getName() {
            return name;
        }

        public List<Property> getProperties() {
            return properties;
        }
    }

    /** {@code (sasb)}: one ExecStart command: program, argv (with argv[0]), ignore-failure. */
    public static final class ExecCommand extends Struct {
        @Position(0)
        private final String path;
        @Position(1)
        private final List<String> argv;
        @Position(2)
        private final boolean ignoreFailure;

        public ExecCommand(String path, List<String> argv, boolean ignoreFailure) {
            this.path = path;
            this.argv = argv;
            this.ignoreFailure = ignoreFailure;
        }

        public String getPath() {
            return path;
        }

        public List<String> getArgv() {
            return argv;
        }

        public boolean isIgnoreFailure() {
            return ignoreFailure;
        }
    }

    /** {@code (ss)}: one LoadCredential= entry: the credential's name, the host file it is read from. */
    public static final class LoadCredential extends Struct {
        @Position(0)
        private final String id;
        @Position(1)
        private final String path;

        public LoadCredential(String id, String path) {
            this.id = id;
            this.path = path;
        }

        public String getId() {
            return id;
        }

        public String getPath() {
            return path;
        }
    }

    /** {@code (sb)}: one EnvironmentFile= entry: path, whether a missing file is fine. */
    public static final class EnvironmentFile extends Struct {
        @Position(0)
        private final String path;
        @Position(1)
        private final boolean optional;

        public EnvironmentFile(String path, boolean optional) {
            this.path = path;
            this.optional = optional;
        }

        public String getPath() {
            return path;
        }

        public boolean isOptional() {
            return optional;
        }
    }

    /** {@code (ssssssouso)}: one row of ListUnits. */
    public static final class ListedUnit extends Struct {
        @Position(0)
        private final String name;
        @Position(1)
        private final String description;
        @Position(2)
        private final String loadState;
        @Position(3)
        private final String activeState;
        @Position(4)
        private final String subState;
        @Position(5)
        private final String following;
        @Position(6)
        private final DBusPath unitPath;
        @Position(7)
        private final UInt32 jobId;
        @Position(8)
        private final String jobType;
        @Position(9)
        private final DBusPath jobPath;

        public ListedUnit(String name, String description, String loadState, String activeState, String subState,
                          String following, DBusPath unitPath, UInt32 jobId, String jobType, DBusPath jobPath) {
            this.name = name;
            this.description = description;
            this.loadState = loadState;
            this.activeState = activeState;
            this.subState = subState;
            this.following = following;
            this.unitPath = unitPath;
            this.jobId = jobId;
            this.jobType = jobType;
            this.jobPath = jobPath;
        }

        public String getName() {
            return name;
        }

        public String getDescription() {
            return description;
        }

        public String getLoadState() {
            return loadState;
        }

        public String getActiveState() {
            return activeState;
        }

        public String getSubState() {
            return subState;
        }

        public String getFollowing() {
            return following;
        }

        public DBusPath getUnitPath() {
            return unitPath;
        }

        public UInt32 getJobId() {
            return jobId;
        }

        public String getJobType() {
            return jobType;
        }

        public DBusPath getJobPath() {
            return jobPath;
        }
    }
}
