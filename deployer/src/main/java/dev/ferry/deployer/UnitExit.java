package dev.ferry.deployer;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/** What systemd knows of why a unit's program is gone, in words for an error message, and where its output is. */
final class UnitExit {
    private static final String SERVICE = "org.freedesktop.systemd1.Service";
    /** {@code ExecMainCode}: how the main process ended (waitid's {@code si_code}). */
    private static final int CLD_EXITED = 1;
    private static final int CLD_KILLED = 2;
    private static final int CLD_DUMPED = 3;
    /** systemd's own exit statuses that the deployer's units meet (systemd.exec(5), "Process Exit Codes"). */
    private static final Map<Integer, String> SYSTEMD_STATUSES = Map.of(203, "EXEC", 217, "USER", 226, "NAMESPACE",
            243, "CREDENTIALS");

    /** The three properties that say how the unit's program ended, read once. */
    record Exit(Optional<String> result, Optional<Integer> code, Optional<Integer> status) {
        /**
         * {@code exited (status 2)}, {@code was killed by signal 9}, or systemd's {@code Result} when no program ran
         * (for {@code resources}: something systemd sets up before the program runs, such as its EnvironmentFile, is
         * missing); just {@code exited} when systemd no longer knows the unit.
         */
        String describe() {
            if (resources()) {
                return "systemd reports result 'resources' (something it sets up before the program runs is missing, "
                        + "such as the EnvironmentFile)";
            }
            String how = switch (code.orElse(0)) {
                case CLD_EXITED -> "exited (status " + status.map(UnitExit::status).orElse("?") + ")";
                case CLD_KILLED -> "was killed by signal " + status.map(String::valueOf).orElse("?");
                case CLD_DUMPED -> "dumped core on signal " + status.map(String::valueOf).orElse("?");
                default -> "exited";
            };
            boolean plain = result.isEmpty()
                    || List.of("success", "exit-code", "signal", "core-dump").contains(result.get());
            return plain ? how : how + " (systemd reports result '" + result.get() + "')";
        }

        /**
         * Whether what ended the unit was systemd setting it up (result {@code resources}, or one of systemd's own
         * exit statuses, 200 to 243: a missing EnvironmentFile, credential, user or program), not its program.
         */
        boolean setUpFailed() {
            return resources() || (code.filter(c -> c == CLD_EXITED).isPresent()
                    && status.filter(st -> st >= 200 && st <= 243).isPresent());
        }

        private boolean resources() {
            return result.filter("resources"::equals).isPresent();
        }
    }

    private UnitExit() {
    }

    /** Reads how {@code unit}'s program ended (each property empty when systemd no longer knows the unit). */
    static Exit read(Systemd systemd, String unit) {
        return new Exit(systemd.property(unit, SERVICE, "Result").map(String::valueOf),
                number(systemd.property(unit, SERVICE, "ExecMainCode")),
                number(systemd.property(unit, SERVICE, "ExecMainStatus")));
    }

    /**
     * Why a transient unit that just started is gone: systemd forgets one whose program ended without failing (exit
     * status 0, or a clean signal such as SIGTERM), where one that failed stays listed as failed or restarting.
     */
    static final String GONE = "its program ended without an error (status 0 or a clean signal) and systemd no longer "
            + "knows the unit; a service's program must keep running";

    /** How many times systemd started {@code unit} again after its program ended ({@code NRestarts}). */
    static java.util.OptionalLong restarts(Systemd systemd, String unit) {
        return number(systemd.property(unit, SERVICE, "NRestarts")).map(n -> java.util.OptionalLong.of(n.longValue()))
                .orElse(java.util.OptionalLong.empty());
    }

    /** The command that shows the unit's output: {@code journalctl --user -u UNIT} under a user manager. */
    static String journal(boolean userManager, String unit) {
        return "journalctl " + (userManager ? "--user " : "") + "-u " + unit;
    }

    private static String status(int status) {
        return SYSTEMD_STATUSES.containsKey(status) ? status + "/" + SYSTEMD_STATUSES.get(status)
                : Integer.toString(status);
    }

    private static Optional<Integer> number(Optional<Object> value) {
        return value.filter(Number.class::isInstance).map(v -> ((Number) v).intValue());
    }
}
