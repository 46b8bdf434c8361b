package dev.ferry.deployer;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** The systemd seam: transient units started, listed and stopped over D-Bus. */
public interface Systemd extends AutoCloseable {
    /** Units whose names start with {@code prefix} (loaded ones: running, activating or failed). */
    List<Unit> list(String prefix);

    /** Starts a transient service unit and waits (bounded) until it is active or has failed. */
    void start(TransientUnit unit);

    /** Stops the unit and forgets a failed state, so its name is free again; a unit that is gone is fine. */
    void stop(String name);

    /** The unit's state, or empty if systemd does not know it. */
    Optional<Unit> unit(String name);

    /** A unit property as systemd reports it (tests and status: {@code Environment}, {@code Slice}, ...). */
    Optional<Object> property(String name, String iface, String property);

    @Override
    void close();

    /** One listed unit: {@code description} carries Ferry's bookkeeping (see {@link UnitLabel}). */
    record Unit(String name, String description, String activeState, String subState) {
        public boolean active() {
            return "active".equals(activeState);
        }

        public boolean failed() {
            return "failed".equals(activeState);
        }

        /**
         * The unit's program is gone: the unit failed, is inactive, or waits to be started again ({@code Restart=}
         * puts a unit whose program exited in {@code activating/auto-restart} for {@code RestartSec=}).
         */
        public boolean exited() {
            return failed() || "inactive".equals(activeState) || restarting();
        }

        /** Its program exited and systemd waits {@code RestartSec=} to start it again ({@code auto-restart}). */
        public boolean restarting() {
            return restarting(subState);
        }

        /** Whether a unit in {@code subState} waits to be started again. */
        static boolean restarting(String subState) {
            return "auto-restart".equals(subState);
        }
    }

    /**
     * A transient service: {@code execStart} argv (absolute program first), non-secret environment, an optional
     * {@code EnvironmentFile=}, {@code LoadCredential=} entries (credential name to host path), the sandboxing
     * that the bus supports (see {@code docs/deployer.md}), and the units it is ordered after ({@code After=}) and
     * needs ({@code Requires=}).
     */
    record TransientUnit(String name, String description, String slice, List<String> execStart,
                         Map<String, String> environment, Optional<String> environmentFile,
                         Map<String, String> credentials,
                         Optional<String> user, Optional<String> group, boolean dynamicUser, boolean privateTmp,
                         String protectSystem, boolean protectHome, boolean noNewPrivileges, String restart,
                         int restartSec, List<String> after, List<String> requires) {
        public TransientUnit {
            execStart = List.copyOf(execStart);
            environment = Map.copyOf(environment);
            credentials = Collections.unmodifiableSortedMap(new TreeMap<>(credentials));
            after = List.copyOf(after);
            requires = List.copyOf(requires);
        }

    }

    /** The system manager, the calling user's manager, or a bus address such as {@code unix:path=/run/user/0/bus}. */
    static Systemd connect(String bus) {
        return DbusSystemd.connect(bus);
    }
}
