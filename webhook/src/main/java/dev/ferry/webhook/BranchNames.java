package dev.ferry.webhook;

/**
 * The one rule for a branch name Ferry accepts, from a webhook's {@code ref} or the JSON API: what
 * {@code git check-ref-format --branch} accepts, as far as Ferry can tell without git. Anything else would reach the
 * queue only to fail its fetch later ("not a valid git ref name"), or carry control characters into log lines.
 */
public final class BranchNames {
    /** Longer names are refused (git has no limit; file systems and deployment names do). */
    public static final int MAX_LENGTH = 255;

    private BranchNames() {
    }

    /**
     * Whether {@code branch} (without {@code refs/heads/}) is a branch name: not empty, at most {@value #MAX_LENGTH}
     * characters, no control characters (C0, DEL or C1), space, {@code ~ ^ : ? * [ \}, {@code ..}, {@code //} or
     * {@code @{}; not {@code @} or {@code HEAD}; not starting with {@code -} or {@code /}; not ending with {@code /}
     * or {@code .}; no part between slashes starting with {@code .} or ending with {@code .lock}.
     */
    public static boolean valid(String branch) {
        if (branch.isEmpty() || branch.length() > MAX_LENGTH || branch.equals("@") || branch.equals("HEAD")
                || branch.startsWith("-")
                || branch.startsWith("/") || branch.endsWith("/") || branch.endsWith(".") || branch.contains("..")
                || branch.contains("//") || branch.contains("@{")) {
            return false;
        }
        if (branch.chars().anyMatch(c -> c <= 0x20 || Character.isISOControl(c) || "~^:?*[\\".indexOf(c) >= 0)) {
            return false;
        }
        for (String part : branch.split("/")) {
            if (part.startsWith(".") || part.endsWith(".lock")) {
                return false;
            }
        }
        return true;
    }
}
