package dev.ferry.deployer;

import dev.ferry.nix.PublicKey;
import dev.ferry.nix.StorePath;
import dev.ferry.process.Command;
import dev.ferry.process.ProcessException;
import dev.ferry.process.ProcessRunner;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** {@link NixStore} with the {@code nix}, {@code nix-store} and {@code nix-env} commands. */
final class CliNixStore implements NixStore {
    private static final Duration SHORT = Duration.ofMinutes(1);
    private static final Duration COPY = Duration.ofMinutes(30);
    private static final Pattern GENERATION = Pattern.compile("^\\s*(\\d+)\\s.*?(\\(current\\))?\\s*$");
    private static final Pattern LINK = Pattern.compile("(.+)-(\\d+)-link");

    private final ProcessRunner runner;
    private final Path profilesDir;

    private CliNixStore(ProcessRunner runner, Path profilesDir) {
        this.runner = runner;
        this.profilesDir = profilesDir;
    }

    static NixStore create(ProcessRunner runner, Path profilesDir) {
        return new CliNixStore(runner, profilesDir);
    }

    @Override
    public boolean isValid(StorePath path) {
        try {
            runner.run(Command.of("nix-store", "--check-validity", path.absolute()).timeout(SHORT));
            return true;
        } catch (ProcessException e) {
            return false;
        }
    }

    @Override
    public void realise(StorePath path, List<String> substituters, List<PublicKey> trustedKeys) {
        if (isValid(path)) {
            return;
        }
        if (substituters.isEmpty()) {
            throw new DeployerException(path + " is not in the local store and no substituter is configured "
                    + "(ferry.deployer.substituters)");
        }
        String keys = trustedKeys.stream().map(PublicKey::render).collect(Collectors.joining(" "));
        List<String> failures = new ArrayList<>();
        for (String substituter : substituters) {
            // nix copy is an "experimental" command: enable it here rather than rely on the host's nix.conf. Nix's
            // narinfo cache would answer a retry from what an earlier try saw (a missing narinfo for an hour, one
            // signed by a key not yet trusted for 30 days): a retry must ask the substituter again.
            Command copy = Command.of("nix", "--extra-experimental-features", "nix-command", "copy",
                    "--from", substituter, path.absolute(), "--option", "trusted-public-keys", keys,
                    "--option", "narinfo-cache-negative-ttl", "0", "--option", "narinfo-cache-positive-ttl", "0")
                    .timeout(COPY);
            try {
                try {
                    runner.run(copy);
                } catch (ProcessException e) {
                    if (!firstContactRace(e)) {
                        throw e;
                    }
                    runner.run(copy); // the other process registered the substituter: this try finds it
                }
                return;
            } catch (ProcessException e) {
                failures.add(substituter + ": " + lastLine(e.getMessage()));
            }
        }
        throw new DeployerException("cannot realise " + path + " from a trusted substituter: "
                + String.join("; ", failures));
    }

    @Override
    public boolean isExecutable(String program) {
        return dev.ferry.process.Programs.isExecutableFile(Path.of(program));
    }

    @Override
    public Pin pin(String service, StorePath path) {
        Path profile = profile(service);
        if (pinned(service).filter(path::equals).isPresent()) {
            return Pin.NOTHING;
        }
        try {
            Files.createDirectories(profilesDir);
        } catch (IOException e) {
            throw new UncheckedIOException("creating " + profilesDir + " failed", e);
        }
        OptionalLong before = current(service);
        runner.run(Command.of("nix-env", "--profile", profile.toString(), "--set", path.absolute()).timeout(SHORT));
        return new Pin(current(service), before);
    }

    @Override
    public void unpin(String service, Pin pin) {
        if (pin.made().isEmpty()) {
            return;
        }
        if (pin.before().isEmpty()) {
            remove(service);
            return;
        }
        Path profile = profile(service);
        runner.run(Command.of("nix-env", "--profile", profile.toString(), "--switch-generation",
                Long.toString(pin.before().getAsLong())).timeout(SHORT));
        runner.run(Command.of("nix-env", "--profile", profile.toString(), "--delete-generations",
                Long.toString(pin.made().getAsLong())).timeout(SHORT));
    }

    /** The generation the profile points at: {@code <profile>} is a link to {@code <service>-<n>-link}. */
    private OptionalLong current(String service) {
        try {
            Matcher m = LINK.matcher(Files.readSymbolicLink(profile(service)).getFileName().toString());
            return m.matches() && m.group(1).equals(service) ? OptionalLong.of(Long.parseLong(m.group(2)))
                    : OptionalLong.empty();
        } catch (IOException | UnsupportedOperationException e) {
            return OptionalLong.empty();
        }
    }

    @Override
    public void prune(String service, int keep) {
        List<Long> all = generations(service);
        List<Long> old = all.subList(0, Math.max(0, all.size() - keep));
        if (!old.isEmpty()) {
            List<String> argv = new ArrayList<>(List.of("nix-env", "--profile", profile(service).toString(),
                    "--delete-generations"));
            old.forEach(g -> argv.add(Long.toString(g)));
            runner.run(Command.of(argv).timeout(SHORT));
        }
    }

    /** Generation numbers, ascending. */
    private List<Long> generations(String service) {
        String out = runner.run(Command.of("nix-env", "--profile", profile(service).toString(),
                "--list-generations").timeout(SHORT)).stdout();
        List<Long> numbers = new ArrayList<>();
        for (String line : out.split("\n")) {
            Matcher m = GENERATION.matcher(line);
            if (m.matches()) {
                numbers.add(Long.parseLong(m.group(1)));
            }
        }
        numbers.sort(null);
        return numbers;
    }

    @Override
    public Optional<StorePath> pinned(String service) {
        Path profile = profile(service);
        if (!Files.exists(profile)) {
            return Optional.empty();
        }
        try {
            return Optional.of(StorePath.parse(profile.toRealPath().toString()));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    @Override
    public StorePath rollback(String service) {
        if (pinned(service).isEmpty()) {
            throw new DeployerException("service '" + service + "' has no profile under " + profilesDir);
        }
        try {
            runner.run(Command.of("nix-env", "--profile", profile(service).toString(), "--rollback").timeout(SHORT));
        } catch (ProcessException e) {
            throw new DeployerException("cannot roll back service '" + service + "': " + lastLine(e.getMessage()), e);
        }
        return pinned(service).orElseThrow();
    }

    @Override
    public void remove(String service) {
        try (Stream<Path> entries = Files.list(profilesDir)) {
            for (Path entry : entries.toList()) {
                String name = entry.getFileName().toString();
                Matcher m = LINK.matcher(name);
                if (name.equals(service) || (m.matches() && m.group(1).equals(service))) {
                    Files.deleteIfExists(entry);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("removing the profile of '" + service + "' from " + profilesDir
                    + " failed", e);
        }
    }

    @Override
    public List<String> services() {
        if (!Files.isDirectory(profilesDir)) {
            return List.of();
        }
        try (Stream<Path> entries = Files.list(profilesDir)) {
            return entries.map(p -> p.getFileName().toString()).filter(n -> !LINK.matcher(n).matches())
                    .filter(n -> !n.startsWith(".")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("listing " + profilesDir + " failed", e);
        }
    }

    private Path profile(String service) {
        return profilesDir.resolve(service);
    }

    /**
     * Nix (2.8 at least) races in its narinfo cache ({@code ~/.cache/nix/binary-cache-v6.sqlite}) when processes that
     * run at once meet a substituter none of them has used before: each registers it, and the losers fail with
     * "executing SQLite statement 'insert or replace into NARs...': constraint failed". The deployer realises up to
     * several services at once, so a new host's first pass met it. Once registered, it does not recur.
     */
    static boolean firstContactRace(ProcessException e) {
        String stderr = e.stderr();
        return stderr.contains("SQLite") && stderr.contains("constraint failed") && stderr.contains("binary-cache-v");
    }

    private static String lastLine(String message) {
        String m = message.strip();
        int nl = m.lastIndexOf('\n');
        return nl < 0 ? m : m.substring(nl + 1);
    }
}
