package dev.ferry.app;

import dev.ferry.cache.CacheUri;
import dev.ferry.cache.Manifest;
import dev.ferry.cache.ManifestDiff;
import dev.ferry.cache.ManifestException;
import dev.ferry.cache.ManifestGeneration;
import dev.ferry.cache.ManifestStore;
import dev.ferry.cache.ManifestVerifier;
import dev.ferry.cache.Storage;
import dev.ferry.nix.NixFormatException;
import dev.ferry.nix.PublicKey;
import dev.ferry.nix.SecretKey;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code ferry manifest ...}: the signed, immutable manifest generations kept in a cache (see docs/manifest.md).
 * Reads verify signatures when given {@code --trusted-key}; writes sign with {@code --secret-key} and verify the
 * generation they build on with that key's public half (plus any {@code --trusted-key}).
 */
@Command(name = "manifest", mixinStandardHelpOptions = true,
        description = {"Signed, immutable deployment manifests kept in a cache.",
                "Every change writes a new generation; nothing is ever rewritten. See docs/manifest.md."},
        subcommands = {ManifestCommand.Show.class, ManifestCommand.History.class, ManifestCommand.Diff.class,
                ManifestCommand.Rollback.class, ManifestCommand.SetService.class, ManifestCommand.RemoveService.class,
                ManifestCommand.Verify.class})
final class ManifestCommand {

    /** {@code --cache}: where the manifests are. */
    static final class CacheOption {
        @Option(names = "--cache", paramLabel = "CACHE_URI", required = true,
                description = "The cache: file:///abs/dir or s3://bucket?endpoint=...")
        String uri;

        Storage open() {
            return openExisting(uri);
        }
    }

    /**
     * Opens the cache {@code uri} names; a {@code file://} directory that does not exist is an error, not created: a
     * mistyped one would read as a cache with no generation yet.
     */
    static Storage openExisting(String uri) {
        CacheUri cache = CacheUri.parse(uri);
        if (cache.scheme().equals("file") && !java.nio.file.Files.isDirectory(java.nio.file.Path.of(
                cache.location()))) {
            throw new dev.ferry.cache.CacheException("no cache at " + uri + ": the directory " + cache.location()
                    + " does not exist");
        }
        return cache.open();
    }

    /** {@code --trusted-key}: public keys, given inline or as files. */
    static final class TrustOption {
        @Option(names = "--trusted-key", paramLabel = "KEY_OR_FILE",
                description = {"A trusted public key (name:base64) or a file of them (whitespace-separated), as "
                        + "ferry keygen --public-key writes it. Repeatable."})
        List<String> values = new ArrayList<>();

        boolean given() {
            return !values.isEmpty();
        }

        List<PublicKey> keys() {
            List<PublicKey> keys = new ArrayList<>();
            for (String value : values) {
                keys.addAll(parse(value));
            }
            return keys;
        }

        private static List<PublicKey> parse(String value) {
            NixFormatException inline;
            try {
                return List.of(PublicKey.parse(value));
            } catch (NixFormatException e) {
                inline = e;
            }
            Path file = Path.of(value);
            if (!Files.isRegularFile(file)) {
                throw new IllegalArgumentException("--trusted-key '" + value + "' is neither a public key ("
                        + inline.getMessage() + ") nor a file");
            }
            String text;
            try {
                text = Files.readString(file, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the trusted key file " + file, e);
            }
            List<PublicKey> keys = new ArrayList<>();
            for (String token : text.strip().split("\\s+")) {
                try {
                    keys.add(PublicKey.parse(token));
                } catch (NixFormatException e) {
                    throw new IllegalArgumentException("trusted key file " + file + ": " + e.getMessage(), e);
                }
            }
            return keys;
        }
    }

    /** {@code --secret-key} and {@code --trusted-key}, for commands that write a generation. */
    static final class SigningOptions {
        @Option(names = "--secret-key", paramLabel = "FILE", required = true,
                description = "The cache's secret key file (as ferry keygen writes it); the new generation is "
                        + "signed with it.")
        Path secretKeyFile;

        @Mixin
        TrustOption trust;

        SecretKey secretKey() {
            return PublishCommand.readKey(secretKeyFile);
        }

        /** The signing key's own public half, plus every {@code --trusted-key} (older keys after a rotation). */
        ManifestVerifier verifier(SecretKey key) {
            return ManifestVerifier.trusting(ManifestVerifier.withOwnKey(trust.keys(), key.publicKey()));
        }
    }

    /** Reads a generation (or the newest), verifying it when trusted keys were given, and notes which it did. */
    private static ManifestGeneration read(ManifestStore store, Optional<Long> generation, TrustOption trust,
                                           PrintWriter err) {
        Optional<ManifestVerifier> verifier = trust.given()
                ? Optional.of(ManifestVerifier.trusting(trust.keys())) : Optional.empty();
        ManifestGeneration read = find(store, generation, verifier);
        if (verifier.isPresent()) {
            err.println("generation " + read.generation() + ": signature by '" + verifier.get().verify(read).name()
                    + "' verified");
        } else {
            err.println("generation " + read.generation() + ": signature not verified (give --trusted-key)");
        }
        return read;
    }

    /** Generation {@code generation} (or the newest), verified by {@code verifier} if given; an error if none. */
    private static ManifestGeneration find(ManifestStore store, Optional<Long> generation,
                                           Optional<ManifestVerifier> verifier) {
        ManifestGeneration read;
        if (generation.isPresent()) {
            long n = generation.get();
            Optional<ManifestGeneration> found = verifier.isPresent() ? store.read(n, verifier.get()) : store.read(n);
            read = found.orElseThrow(() -> new ManifestException("generation " + n + " "
                    + (store.isAbandoned(n) ? "was abandoned by a writer that did not finish"
                            : "does not exist in " + store.storage().uri())));
        } else {
            Optional<ManifestGeneration> found = verifier.isPresent() ? store.newest(verifier.get()) : store.newest();
            read = found.orElseThrow(() -> new ManifestException("no manifest generation in "
                    + store.storage().uri() + " yet"));
        }
        return read;
    }

    private static void report(PrintWriter out, ManifestStore.Update update) {
        ManifestGeneration g = update.generation();
        if (update.written()) {
            out.println("wrote generation " + g.generation() + ": " + g.manifest().reason());
        } else {
            out.println("no change: generation " + g.generation() + " already deploys exactly this");
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true,
            description = "Print a generation's JSON exactly as signed (the newest unless --generation).")
    static final class Show implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        CacheOption cache;
        @Mixin
        TrustOption trust;
        @Option(names = "--generation", paramLabel = "N", description = "The generation to show.")
        Optional<Long> generation;

        @Override
        public Integer call() {
            try (Storage storage = cache.open()) {
                ManifestGeneration g = read(ManifestStore.create(storage), generation, trust, spec.commandLine().getErr());
                PrintWriter out = spec.commandLine().getOut();
                out.print(g.json());
                out.flush();
            }
            return 0;
        }
    }

    @Command(name = "history", mixinStandardHelpOptions = true,
            description = "List every generation: number, creation time, service and site counts, reason.")
    static final class History implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        CacheOption cache;
        @Mixin
        TrustOption trust;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            Optional<ManifestVerifier> verifier = trust.given()
                    ? Optional.of(ManifestVerifier.trusting(trust.keys())) : Optional.empty();
            int failed = 0;
            try (Storage storage = cache.open()) {
                ManifestStore store = ManifestStore.create(storage);
                List<Long> numbers = store.generationNumbers();
                if (numbers.isEmpty()) {
                    out.println("no manifest generation in " + storage.uri() + " yet");
                    return 0;
                }
                out.println(String.format("%-6s %-20s %8s %5s  %s", "GEN", "CREATED", "SERVICES", "SITES", "REASON"));
                for (long n : numbers) {
                    try {
                        Optional<ManifestGeneration> g = verifier.isPresent() ? store.read(n, verifier.get())
                                : store.read(n);
                        if (g.isEmpty()) {
                            out.println(String.format("%-6d (abandoned: its writer did not finish)", n));
                            continue;
                        }
                        Manifest m = g.get().manifest();
                        out.println(String.format("%-6d %-20s %8d %5d  %s", n,
                                DateTimeFormatter.ISO_INSTANT.format(m.createdAt()), m.services().size(),
                                m.sites().size(), m.reason()));
                    } catch (ManifestException e) {
                        failed++;
                        out.println(String.format("%-6d (unreadable: %s)", n, e.getMessage()));
                    }
                }
            }
            if (failed > 0) {
                throw new ManifestException(failed + " generation(s) could not be read or verified");
            }
            return 0;
        }
    }

    @Command(name = "diff", mixinStandardHelpOptions = true,
            description = "Show the services and sites added, removed and changed from generation A to B.")
    static final class Diff implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        CacheOption cache;
        @Mixin
        TrustOption trust;
        @Parameters(index = "0", paramLabel = "A", description = "The older generation.")
        long from;
        @Parameters(index = "1", paramLabel = "B", description = "The newer generation.")
        long to;

        @Override
        public Integer call() {
            try (Storage storage = cache.open()) {
                ManifestStore store = ManifestStore.create(storage);
                PrintWriter err = spec.commandLine().getErr();
                Manifest a = read(store, Optional.of(from), trust, err).manifest();
                Manifest b = read(store, Optional.of(to), trust, err).manifest();
                PrintWriter out = spec.commandLine().getOut();
                out.println("generation " + from + " -> " + to);
                ManifestDiff.between(a, b).lines().forEach(out::println);
            }
            return 0;
        }
    }

    @Command(name = "rollback", mixinStandardHelpOptions = true,
            description = {"Write a new generation with the services and sites of generation K.",
                    "History is never rewritten: generation K stays as it is, and so do the ones after it."})
    static final class Rollback implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        CacheOption cache;
        @Mixin
        SigningOptions signing;
        @Option(names = "--to", paramLabel = "K", required = true, description = "The generation to return to.")
        long to;

        @Override
        public Integer call() {
            SecretKey key = signing.secretKey();
            try (Storage storage = cache.open()) {
                report(spec.commandLine().getOut(),
                        ManifestStore.create(storage).rollback(key, signing.verifier(key), to));
            }
            return 0;
        }
    }

    @Command(name = "set-service", mixinStandardHelpOptions = true,
            description = {"Add a service, or replace the service of the same name, in a new generation.",
                    "The file holds one service object (see docs/manifest.md); its store path must be in the cache."})
    static final class SetService implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        CacheOption cache;
        @Mixin
        SigningOptions signing;
        @Option(names = "--file", paramLabel = "SERVICE.json", required = true,
                description = "The service as JSON; - reads standard input.")
        String file;
        @Option(names = "--reason", paramLabel = "TEXT", description = "Why (default: set service NAME).")
        Optional<String> reason;

        @Override
        public Integer call() {
            byte[] json;
            try {
                json = file.equals("-") ? new FileInputStream(FileDescriptor.in).readAllBytes()
                        : Files.readAllBytes(Path.of(file));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the service file " + file, e);
            }
            Manifest.Service service = Manifest.Service.parse(json, file.equals("-") ? "standard input" : file);
            SecretKey key = signing.secretKey();
            try (Storage storage = cache.open()) {
                report(spec.commandLine().getOut(), ManifestStore.create(storage).update(key, signing.verifier(key),
                        reason.orElse("set service " + service.name()), m -> m.withService(service)));
            }
            return 0;
        }
    }

    @Command(name = "remove-service", mixinStandardHelpOptions = true,
            description = {"Remove the service or site NAME in a new generation.",
                    "Names are unique across services and sites, so NAME is one or the other (a deployment's site, "
                            + "such as hello-pr-3-docs, is removed the same way)."})
    static final class RemoveService implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        CacheOption cache;
        @Mixin
        SigningOptions signing;
        @Parameters(index = "0", paramLabel = "NAME", description = "The service or site to remove.")
        String name;
        @Option(names = "--reason", paramLabel = "TEXT",
                description = "Why (default: remove service NAME, or remove site NAME).")
        Optional<String> reason;

        @Override
        public Integer call() {
            SecretKey key = signing.secretKey();
            ManifestVerifier verifier = signing.verifier(key);
            try (Storage storage = cache.open()) {
                ManifestStore store = ManifestStore.create(storage);
                // The kind only words the default reason: the change itself decides on the generation it builds on.
                String why = reason.orElseGet(() -> "remove " + store.newest(verifier)
                        .filter(g -> g.manifest().site(name).isPresent()).map(g -> "site").orElse("service") + " "
                        + name);
                report(spec.commandLine().getOut(), store.update(key, verifier, why, m -> m.withoutEntry(name)));
            }
            return 0;
        }
    }

    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = "Check generations' signatures against trusted keys (the newest unless --generation or --all).")
    static final class Verify implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        CacheOption cache;
        @Option(names = "--trusted-key", paramLabel = "KEY_OR_FILE", required = true,
                description = "A trusted public key (name:base64) or a file of them. Repeatable.")
        List<String> trustedKeys;
        @Option(names = "--generation", paramLabel = "N", description = "The generation to verify.")
        Optional<Long> generation;
        @Option(names = "--all", description = "Verify every generation.")
        boolean all;

        @Override
        public Integer call() {
            TrustOption trust = new TrustOption();
            trust.values = trustedKeys;
            ManifestVerifier verifier = ManifestVerifier.trusting(trust.keys());
            PrintWriter out = spec.commandLine().getOut();
            try (Storage storage = cache.open()) {
                ManifestStore store = ManifestStore.create(storage);
                if (!all) {
                    ManifestGeneration g = find(store, generation, Optional.of(verifier));
                    out.println("generation " + g.generation() + ": ok, signed by " + verifier.verify(g).name());
                    return 0;
                }
                int failed = 0;
                List<Long> numbers = store.generationNumbers();
                for (long n : numbers) {
                    try {
                        Optional<ManifestGeneration> g = store.read(n, verifier);
                        out.println(g.isEmpty() ? "generation " + n + ": abandoned (no content to verify)"
                                : "generation " + n + ": ok, signed by " + verifier.verify(g.get()).name());
                    } catch (ManifestException e) {
                        failed++;
                        out.println("generation " + n + ": FAILED: " + e.getMessage());
                    }
                }
                if (failed > 0) {
                    throw new ManifestException(failed + " of " + numbers.size() + " generations failed verification");
                }
                if (numbers.isEmpty()) {
                    throw new ManifestException("no manifest generation in " + storage.uri() + " yet");
                }
            }
            return 0;
        }
    }
}
