package dev.ferry.cache;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.ferry.nix.Hash;
import dev.ferry.nix.NarDigest;
import dev.ferry.nix.NixFormatException;
import dev.ferry.nix.StorePath;
import dev.ferry.process.Command;
import dev.ferry.process.ProcessException;
import dev.ferry.process.ProcessRunner;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;

/** The local Nix store, asked through {@code nix path-info}. */
public final class LocalNixStore {
    private static final JsonFactory JSON = new JsonFactory();
    private static final List<String> FORMAT_1 = List.of("--json-format", "1");

    private final ProcessRunner runner;
    /** This Nix refused {@code --json} without {@code --json-format}: name format 1 from now on. */
    private volatile boolean namesFormat;

    public LocalNixStore(ProcessRunner runner) {
        this.runner = runner;
    }

    /** The closure of {@code paths}: every path they reference, recursively, themselves included. */
    public List<PathInfo> closure(Collection<StorePath> paths) {
        if (paths.isEmpty()) {
            return List.of();
        }
        if (namesFormat) {
            return parsePathInfo(pathInfo(paths, FORMAT_1));
        }
        try {
            return parsePathInfo(pathInfo(paths, List.of()));
        } catch (ProcessException e) {
            // Nix 2.33 warns (on every run) that --json wants --json-format, and says it will become an error; older
            // Nix refuses the flag. Only when an error line names it is the format named (1: what is parsed).
            boolean refused = e.exitCode() > 0
                    && e.stderr().lines().anyMatch(l -> l.startsWith("error:") && l.contains("--json-format"));
            if (!refused) {
                throw e;
            }
            namesFormat = true;
            return parsePathInfo(pathInfo(paths, FORMAT_1));
        }
    }

    private String pathInfo(Collection<StorePath> paths, List<String> format) {
        List<String> argv = new ArrayList<>(List.of("nix", "--extra-experimental-features", "nix-command",
                "path-info", "--json"));
        argv.addAll(format);
        argv.add("--recursive");
        paths.forEach(p -> argv.add(p.absolute()));
        return runner.run(Command.of(argv).timeout(Duration.ofMinutes(5))).stdout();
    }

    /**
     * Parses what {@code nix path-info --json} prints: an array of objects with a {@code path} field (Nix 2.8 to
     * 2.18), or an object keyed by path (Nix 2.19 and later), where an invalid path's value is {@code null}.
     *
     * <p>jackson-core's streaming parser, not a tree: a fresh JVM (every {@code ferry publish}) spends about 60 ms
     * on it against 250 ms for the data-binding classes.
     */
    static List<PathInfo> parsePathInfo(String json) {
        try (JsonParser parser = JSON.createParser(json)) {
            List<PathInfo> infos = new ArrayList<>();
            JsonToken root = parser.nextToken();
            if (root == JsonToken.START_ARRAY) {
                while (parser.nextToken() == JsonToken.START_OBJECT) {
                    infos.add(entry(parser, Optional.empty()));
                }
            } else if (root == JsonToken.START_OBJECT) {
                while (parser.nextToken() == JsonToken.FIELD_NAME) {
                    String path = parser.currentName();
                    if (parser.nextToken() != JsonToken.START_OBJECT) {
                        throw new CacheException(path + " is not valid in the local Nix store");
                    }
                    infos.add(entry(parser, Optional.of(path)));
                }
            } else {
                throw new CacheException("nix path-info printed neither a JSON array nor an object");
            }
            if (parser.currentToken() != JsonToken.END_ARRAY && parser.currentToken() != JsonToken.END_OBJECT) {
                throw new CacheException("nix path-info printed an unexpected " + parser.currentToken());
            }
            return infos;
        } catch (IOException e) {
            throw new CacheException("nix path-info printed invalid JSON: " + e.getMessage(), e);
        }
    }

    /** One path's object, from its {@code START_OBJECT} to its {@code END_OBJECT}. */
    private static PathInfo entry(JsonParser parser, Optional<String> key) throws IOException {
        String path = key.orElse("");
        boolean valid = true;
        String narHash = "";
        long narSize = -1;
        List<String> references = new ArrayList<>();
        Optional<String> deriver = Optional.empty();
        Optional<String> ca = Optional.empty();
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String field = parser.currentName();
            JsonToken value = parser.nextToken();
            switch (field) {
                case "path" -> path = key.orElse(parser.getValueAsString(""));
                case "valid" -> valid = value != JsonToken.VALUE_FALSE;
                case "narHash" -> narHash = parser.getValueAsString("");
                case "narSize" -> narSize = parser.getValueAsLong(-1);
                case "deriver" -> deriver = Optional.ofNullable(parser.getValueAsString());
                case "ca" -> ca = Optional.ofNullable(parser.getValueAsString());
                case "references" -> {
                    if (value == JsonToken.START_ARRAY) {
                        for (JsonToken item = parser.nextToken(); item != JsonToken.END_ARRAY; item = parser.nextToken()) {
                            if (item != JsonToken.VALUE_STRING) {
                                throw new CacheException("nix path-info: a reference of '" + path + "' is not a string");
                            }
                            references.add(parser.getText());
                        }
                    }
                }
                default -> {
                }
            }
            // A field of an unexpected shape (a newer Nix's narHash object, say) is skipped whole, never read into.
            parser.skipChildren();
        }
        if (!valid) {
            throw new CacheException(path + " is not valid in the local Nix store");
        }
        try {
            TreeSet<StorePath> referenced = new TreeSet<>();
            for (String reference : references) {
                referenced.add(StorePath.parse(reference));
            }
            if (narSize < 0) {
                throw new NixFormatException("no narSize");
            }
            return new PathInfo(StorePath.parse(path), new NarDigest(Hash.parse(narHash), narSize), referenced,
                    deriver.map(StorePath::parse), ca);
        } catch (NixFormatException e) {
            throw new CacheException("nix path-info: bad entry for '" + path + "': " + e.getMessage(), e);
        }
    }
}
