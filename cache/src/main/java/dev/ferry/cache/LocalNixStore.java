package dev.ferry.cache;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ferry.nix.Hash;
import dev.ferry.nix.NarDigest;
import dev.ferry.nix.NixFormatException;
import dev.ferry.nix.StorePath;
import dev.ferry.process.Command;
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
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ProcessRunner runner;

    public LocalNixStore(ProcessRunner runner) {
        this.runner = runner;
    }

    /** The closure of {@code paths}: every path they reference, recursively, themselves included. */
    public List<PathInfo> closure(Collection<StorePath> paths) {
        if (paths.isEmpty()) {
            return List.of();
        }
        List<String> argv = new ArrayList<>(List.of("nix", "--extra-experimental-features", "nix-command",
                "path-info", "--json", "--recursive"));
        paths.forEach(p -> argv.add(p.absolute()));
        String json = runner.run(Command.of(argv).timeout(Duration.ofMinutes(5))).stdout();
        return parsePathInfo(json);
    }

    /** Parses the JSON array {@code nix path-info --json} prints (Nix 2.8: narHash in SRI form). */
    static List<PathInfo> parsePathInfo(String json) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (IOException e) {
            throw new CacheException("nix path-info printed invalid JSON: " + e.getMessage(), e);
        }
        if (root == null || !root.isArray()) {
            throw new CacheException("nix path-info printed no JSON array");
        }
        List<PathInfo> infos = new ArrayList<>();
        for (JsonNode node : root) {
            String path = node.path("path").asText("");
            if (node.has("valid") && !node.path("valid").asBoolean(true)) {
                throw new CacheException(path + " is not valid in the local Nix store");
            }
            try {
                TreeSet<StorePath> references = new TreeSet<>();
                for (JsonNode reference : node.path("references")) {
                    references.add(StorePath.parse(reference.asText()));
                }
                Optional<StorePath> deriver = node.hasNonNull("deriver")
                        ? Optional.of(StorePath.parse(node.get("deriver").asText())) : Optional.empty();
                Optional<String> ca = node.hasNonNull("ca") ? Optional.of(node.get("ca").asText()) : Optional.empty();
                infos.add(new PathInfo(StorePath.parse(path),
                        new NarDigest(Hash.parse(node.path("narHash").asText("")), node.path("narSize").asLong()),
                        references, deriver, ca));
            } catch (NixFormatException e) {
                throw new CacheException("nix path-info: bad entry for '" + path + "': " + e.getMessage(), e);
            }
        }
        return infos;
    }
}
