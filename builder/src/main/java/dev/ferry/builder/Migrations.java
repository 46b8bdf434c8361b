package dev.ferry.builder;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The schema migrations shipped in the jar under {@code db/migration/}, in order. Forward-only: version n is the
 * file {@code V<n>__<what>.sql}; a new version is a new file added to {@link #FILES}, never an edit of an old one.
 */
final class Migrations {
    static final List<String> FILES = List.of("V1__init.sql", "V2__deliveries_on_builds.sql");
    private static final Pattern NAME = Pattern.compile("V([1-9][0-9]*)__([a-z0-9_]+)\\.sql");

    record Migration(int version, String description, List<String> statements) {
    }

    private Migrations() {
    }

    /** The newest schema version this code knows. */
    static int latest() {
        return FILES.size();
    }

    static List<Migration> all() {
        List<Migration> migrations = new ArrayList<>();
        for (int i = 0; i < FILES.size(); i++) {
            Matcher m = NAME.matcher(FILES.get(i));
            if (!m.matches() || Integer.parseInt(m.group(1)) != i + 1) {
                throw new IllegalStateException("migration " + FILES.get(i) + " is not V" + (i + 1) + "__<what>.sql");
            }
            migrations.add(new Migration(i + 1, m.group(2).replace('_', ' '), statements(read(FILES.get(i)))));
        }
        return migrations;
    }

    private static String read(String file) {
        try (InputStream in = Migrations.class.getResourceAsStream("/db/migration/" + file)) {
            if (in == null) {
                throw new IllegalStateException("migration db/migration/" + file + " is missing from the jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("reading migration " + file, e);
        }
    }

    /** The statements of a script: {@code --} comments dropped, split at {@code ;} ending a line. */
    static List<String> statements(String script) {
        List<String> statements = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : script.split("\n")) {
            String code = line.strip();
            if (code.startsWith("--") || code.isEmpty()) {
                continue;
            }
            current.append(line).append('\n');
            if (code.endsWith(";")) {
                statements.add(current.toString().strip().replaceAll(";$", ""));
                current.setLength(0);
            }
        }
        if (!current.toString().isBlank()) {
            throw new IllegalStateException("migration ends without ';': " + current);
        }
        return statements;
    }
}
