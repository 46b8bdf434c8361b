package dev.ferry.cache;

import java.util.List;

/**
 * A manifest (or one service of it) breaks the schema: each problem reads {@code field: reason}, e.g.
 * {@code services[2].artifact.storePath: not a store path: ...}.
 */
public class ManifestInvalidException extends ManifestException {
    private final List<String> problems;

    public ManifestInvalidException(String what, List<String> problems) {
        super(message(what, problems));
        this.problems = List.copyOf(problems);
    }

    /** Each problem as {@code field: reason}, in document order. */
    public List<String> problems() {
        return problems;
    }

    private static String message(String what, List<String> problems) {
        if (problems.size() == 1) {
            return what + " is invalid: " + problems.getFirst();
        }
        return what + " is invalid (" + problems.size() + " problems):\n  " + String.join("\n  ", problems);
    }
}
