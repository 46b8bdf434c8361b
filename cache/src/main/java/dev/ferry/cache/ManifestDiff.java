package dev.ferry.cache;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * What changed between two manifests: services and sites added, removed, or changed, with each changed field as a
 * dotted path ({@code artifact.storePath}, {@code env.PORT}) and its JSON value before and after. Lists are compared
 * whole ({@code hosts}, {@code exec.args}).
 */
public record ManifestDiff(List<Entry> services, List<Entry> sites) {

    public enum Kind { ADDED, REMOVED, CHANGED }

    /** One changed field; {@code before}/{@code after} are compact JSON, or empty where the field is absent. */
    public record Change(String field, Optional<String> before, Optional<String> after) {
    }

    public record Entry(String name, Kind kind, List<Change> changes) {
        public Entry {
            changes = List.copyOf(changes);
        }
    }

    public ManifestDiff {
        services = List.copyOf(services);
        sites = List.copyOf(sites);
    }

    public static ManifestDiff between(Manifest from, Manifest to) {
        return new ManifestDiff(
                entries(from.services(), to.services(), Manifest.Service::name, ManifestJson::tree),
                entries(from.sites(), to.sites(), Manifest.Site::name, ManifestJson::tree));
    }

    public boolean isEmpty() {
        return services.isEmpty() && sites.isEmpty();
    }

    /** The diff as text, one line per service, site and changed field. */
    public List<String> lines() {
        List<String> lines = new ArrayList<>();
        section(lines, "services", services);
        section(lines, "sites", sites);
        if (lines.isEmpty()) {
            lines.add("no differences in services or sites");
        }
        return lines;
    }

    private static void section(List<String> lines, String title, List<Entry> entries) {
        if (entries.isEmpty()) {
            return;
        }
        lines.add(title + ":");
        for (Entry e : entries) {
            lines.add("  " + switch (e.kind()) {
                case ADDED -> "+ ";
                case REMOVED -> "- ";
                case CHANGED -> "~ ";
            } + e.name());
            for (Change c : e.changes()) {
                lines.add("      " + c.field() + ": " + c.before().orElse("(absent)") + " -> "
                        + c.after().orElse("(absent)"));
            }
        }
    }

    private static <T> List<Entry> entries(List<T> from, List<T> to, Function<T, String> name,
                                           Function<T, ObjectNode> tree) {
        Map<String, T> before = new TreeMap<>();
        from.forEach(item -> before.put(name.apply(item), item));
        Map<String, T> after = new TreeMap<>();
        to.forEach(item -> after.put(name.apply(item), item));
        Set<String> names = new TreeSet<>(before.keySet());
        names.addAll(after.keySet());
        List<Entry> entries = new ArrayList<>();
        for (String n : names) {
            T a = before.get(n);
            T b = after.get(n);
            if (a == null) {
                entries.add(new Entry(n, Kind.ADDED, List.of()));
            } else if (b == null) {
                entries.add(new Entry(n, Kind.REMOVED, List.of()));
            } else if (!a.equals(b)) {
                List<Change> changes = new ArrayList<>();
                compare("", tree.apply(a), tree.apply(b), changes);
                entries.add(new Entry(n, Kind.CHANGED, changes));
            }
        }
        return entries;
    }

    private static void compare(String path, JsonNode a, JsonNode b, List<Change> changes) {
        if (a != null && b != null && a.isObject() && b.isObject()) {
            Set<String> fields = new LinkedHashSet<>();
            a.fieldNames().forEachRemaining(fields::add);
            b.fieldNames().forEachRemaining(fields::add);
            for (String field : fields) {
                compare(path.isEmpty() ? field : path + "." + field, a.get(field), b.get(field), changes);
            }
        } else if (a == null || b == null || !a.equals(b)) {
            changes.add(new Change(path, Optional.ofNullable(a).map(JsonNode::toString),
                    Optional.ofNullable(b).map(JsonNode::toString)));
        }
    }
}
