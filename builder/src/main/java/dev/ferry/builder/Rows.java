package dev.ferry.builder;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.helidon.dbclient.DbRow;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/** Reading SQLite columns (whose Java types follow the stored value) and the JSON columns. */
final class Rows {
    static final ObjectMapper JSON = new ObjectMapper();

    private Rows() {
    }

    static Optional<Object> value(DbRow row, String column) {
        // In Helidon 4.1.7, DbColumn.get() and asOptional() throw on SQL NULL; get(Class) returns null for it.
        return Optional.ofNullable(row.column(column).get(Object.class));
    }

    static String string(DbRow row, String column) {
        return optionalString(row, column).orElseThrow(() -> new StateException("column " + column + " is null"));
    }

    static Optional<String> optionalString(DbRow row, String column) {
        return value(row, column).map(Object::toString);
    }

    static long number(DbRow row, String column) {
        return optionalNumber(row, column).orElseThrow(() -> new StateException("column " + column + " is null"));
    }

    static OptionalLong optionalNumber(DbRow row, String column) {
        return value(row, column).map(v -> OptionalLong.of(((Number) v).longValue())).orElse(OptionalLong.empty());
    }

    static Instant instant(DbRow row, String column) {
        return Instant.ofEpochMilli(number(row, column));
    }

    static Optional<Instant> optionalInstant(DbRow row, String column) {
        OptionalLong millis = optionalNumber(row, column);
        return millis.isPresent() ? Optional.of(Instant.ofEpochMilli(millis.getAsLong())) : Optional.empty();
    }

    static BuildRef ref(DbRow row) {
        String kind = string(row, "ref_kind");
        String name = string(row, "ref_name");
        return kind.equals("pull_request")
                ? new BuildRef.PullRequest((int) number(row, "pr_number"), name)
                : new BuildRef.Branch(name);
    }

    static String refKind(BuildRef ref) {
        return ref instanceof BuildRef.PullRequest ? "pull_request" : "branch";
    }

    static String refName(BuildRef ref) {
        return switch (ref) {
            case BuildRef.Branch b -> b.name();
            case BuildRef.PullRequest p -> p.headBranch();
        };
    }

    /** The pull request number, or null for a branch (a SQL NULL parameter). */
    static Object prNumber(BuildRef ref) {
        return ref instanceof BuildRef.PullRequest p ? Integer.valueOf(p.number()) : null;
    }

    static String json(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static List<String> stringList(String json) {
        return parse(json, new TypeReference<List<String>>() { });
    }

    static Map<String, String> stringMap(String json) {
        return parse(json, new TypeReference<Map<String, String>>() { });
    }

    static <T> T parse(String json, TypeReference<T> type) {
        try {
            return JSON.readValue(json, type);
        } catch (JsonProcessingException e) {
            throw new StateException("a JSON column cannot be read: " + e.getOriginalMessage(), e);
        }
    }
}
