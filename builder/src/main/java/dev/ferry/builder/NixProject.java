package dev.ferry.builder;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ferry.nix.NixFormatException;
import dev.ferry.nix.StorePath;
import dev.ferry.process.Command;
import dev.ferry.process.ProcessException;
import dev.ferry.process.ProcessRunner;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The Nix side of a build, in a checkout: lock the flake ({@code path:}, so Nix copies exactly the exported commit),
 * evaluate the project config, resolve packages to derivations, and build them all with one {@code nix build}.
 * Evaluation is pure: the flake is locked by its NAR hash, so a project cannot read the server's files or
 * environment into its config or its derivations.
 */
final class NixProject {
    /** A package resolved by evaluation: its derivation and the output path deployed. */
    record Package(String name, StorePath drv, StorePath out) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_CONFIG_BYTES = 1 << 20;
    static final String CONFIG_EXPRESSION = """
            let flake = builtins.getFlake "%s"; in
            if flake ? ferry then flake.ferry
            else throw "the flake has no output 'ferry' (what Ferry deploys: see Ferry's docs/project-config.md)"
            """;
    /** Resolves each name as {@code nix build <flake>#<name>} does: packages.SYSTEM, legacyPackages.SYSTEM, as is. */
    static final String PACKAGES_EXPRESSION = """
            let
              flake = builtins.getFlake "%s";
              system = "%s";
              names = builtins.fromJSON "%s";
              lookup = path: value:
                if path == [ ] then value
                else if builtins.isAttrs value && builtins.hasAttr (builtins.head path) value
                then lookup (builtins.tail path) (builtins.getAttr (builtins.head path) value)
                else null;
              resolve = name:
                let
                  path = builtins.filter builtins.isString (builtins.split "[.]" name);
                  found = builtins.filter (v: v != null) (map (p: lookup p flake)
                    [ ([ "packages" system ] ++ path) ([ "legacyPackages" system ] ++ path) path ]);
                  value = builtins.head found;
                in
                if found == [ ] then { error = "the flake has no packages.${system}.${name}, legacyPackages.${system}.${name} or ${name}"; }
                else if builtins.isAttrs value && (value.type or null) == "derivation"
                then { drv = value.drvPath; out = value.outPath; }
                else { error = "${name} is not a derivation"; };
            in
            builtins.listToAttrs (map (name: { inherit name; value = resolve name; }) names)
            """;

    private final ProcessRunner runner;
    private final PipelineSettings settings;
    private final Predicate<String> onPath;

    NixProject(ProcessRunner runner, PipelineSettings settings, Predicate<String> onPath) {
        this.runner = runner;
        this.settings = settings;
        this.onPath = onPath;
    }

    /** The checkout as a locked flake reference ({@code path:...?narHash=...}). */
    String lock(Path checkout, BuildLog log) {
        if (!Files.isRegularFile(checkout.resolve("flake.nix"))) {
            throw new BuildFailedException("the commit has no flake.nix at its root (Ferry builds flakes: see "
                    + "docs/project-config.md)");
        }
        String out = nix(List.of("flake", "metadata", "--json", "--no-write-lock-file", "path:" + checkout),
                checkout, log, "locking the flake");
        try {
            JsonNode url = JSON.readTree(out).path("url");
            if (!url.isTextual() || !url.textValue().contains("narHash=")) {
                throw new BuildFailedException("nix flake metadata gave no locked URL for the checkout");
            }
            return url.textValue();
        } catch (IOException e) {
            throw new BuildFailedException("nix flake metadata printed invalid JSON: " + e.getMessage());
        }
    }

    /** The project config: devenv's {@code ferry.config} if the commit has devenv.nix and devenv is installed. */
    ProjectConfig config(Path checkout, String flake, BuildLog log) {
        if (Files.isRegularFile(checkout.resolve("devenv.nix")) && onPath.test("devenv")) {
            log.line("evaluating the project config: devenv build ferry.config");
            String out = run(Command.of("devenv", "build", "ferry.config").directory(checkout), log,
                    "devenv build ferry.config");
            List<String> lines = out.lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
            if (lines.isEmpty()) {
                throw new BuildFailedException("devenv build ferry.config printed no path");
            }
            Path file = Path.of(lines.getLast());
            if (!Files.isRegularFile(file)) {
                throw new BuildFailedException("devenv build ferry.config gave " + file + ", which is not a file");
            }
            try (InputStream in = Files.newInputStream(file)) {
                byte[] json = in.readNBytes(MAX_CONFIG_BYTES + 1);
                if (json.length > MAX_CONFIG_BYTES) {
                    throw new BuildFailedException("the project config " + file + " is larger than 1 MiB");
                }
                return ProjectConfig.parse(json);
            } catch (IOException e) {
                throw new BuildFailedException("reading " + file + " failed: " + e.getMessage());
            }
        }
        log.line("evaluating the project config: the flake output ferry");
        String json = nix(List.of("eval", "--json", "--no-write-lock-file", "--expr",
                CONFIG_EXPRESSION.formatted(nixString(flake))), checkout, log, "evaluating the project config");
        return ProjectConfig.parse(json.getBytes(StandardCharsets.UTF_8));
    }

    /** Each package name's derivation and output, by evaluation (nothing is built). */
    Map<String, Package> resolve(Path checkout, String flake, Collection<String> names, BuildLog log) {
        String list;
        try {
            list = JSON.writeValueAsString(names);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        String json = nix(List.of("eval", "--json", "--no-write-lock-file", "--expr",
                PACKAGES_EXPRESSION.formatted(nixString(flake), nixString(settings.system()), nixString(list))),
                checkout, log, "evaluating the packages");
        Map<String, Package> packages = new LinkedHashMap<>();
        try {
            JsonNode root = JSON.readTree(json);
            for (String name : names) {
                JsonNode entry = root.path(name);
                if (entry.has("error")) {
                    throw new BuildFailedException("package '" + name + "': " + entry.get("error").asText());
                }
                packages.put(name, new Package(name, StorePath.parse(entry.path("drv").asText()),
                        StorePath.parse(entry.path("out").asText())));
            }
        } catch (IOException | NixFormatException e) {
            throw new BuildFailedException("nix eval printed unexpected JSON for the packages: " + e.getMessage());
        }
        return packages;
    }

    /** Builds every package with one {@code nix build}, its output streamed to the log; checks what it built. */
    void build(Path checkout, Collection<Package> packages, BuildLog log) {
        List<String> argv = new ArrayList<>(List.of("build", "--no-link", "--json", "--print-build-logs"));
        packages.stream().map(p -> p.drv().absolute()).distinct().forEach(argv::add);
        String json = nix(argv, checkout, log, "nix build");
        Map<String, List<String>> built = new LinkedHashMap<>();
        try {
            for (JsonNode entry : JSON.readTree(json)) {
                List<String> outputs = new ArrayList<>();
                entry.path("outputs").forEach(o -> outputs.add(o.asText()));
                built.put(entry.path("drvPath").asText(), outputs);
            }
        } catch (IOException e) {
            throw new BuildFailedException("nix build printed invalid JSON: " + e.getMessage());
        }
        for (Package p : packages) {
            if (!built.getOrDefault(p.drv().absolute(), List.of()).contains(p.out().absolute())) {
                throw new BuildFailedException("nix build did not report " + p.out() + " (package '" + p.name()
                        + "') as built");
            }
        }
    }

    private String nix(List<String> args, Path checkout, BuildLog log, String what) {
        List<String> argv = new ArrayList<>(List.of("nix", "--extra-experimental-features", "nix-command flakes"));
        argv.addAll(args);
        return run(Command.of(argv).directory(checkout), log, what);
    }

    private String run(Command command, BuildLog log, String what) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            runner.run(command.timeout(settings.nixTimeout()), out, log);
        } catch (ProcessException e) {
            if (Thread.currentThread().isInterrupted()) {
                throw new BuildFailedException("cancelled during " + what, e);
            }
            throw new BuildFailedException(what + " failed" + (e.exitCode() == -1 && e.getMessage().contains(
                    "timed out") ? " (timed out after " + settings.nixTimeout() + ")" : "") + ": "
                    + nixError(e.stderr(), e.getMessage()), e);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /**
     * The part of Nix's stderr that says what went wrong: from the line of the first {@code error:} on (a builder's
     * line keeps its {@code name>} prefix and what it was doing), at most 4000 chars.
     */
    static String nixError(String stderr, String fallback) {
        int at = stderr.indexOf("error:");
        String text = (at >= 0 ? stderr.substring(stderr.lastIndexOf('\n', at) + 1) : stderr).strip();
        if (text.isEmpty()) {
            return fallback;
        }
        return text.length() > 4000 ? text.substring(0, 4000) + "..." : text;
    }

    /** A Nix string literal's content: {@code \}, {@code "} and {@code $} escaped. */
    static String nixString(String text) {
        StringBuilder sb = new StringBuilder(text.length());
        for (char c : text.toCharArray()) {
            switch (c) {
                case '\\', '"', '$' -> sb.append('\\').append(c);
                case '\n' -> sb.append("\\n");
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }
}
