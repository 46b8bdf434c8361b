package dev.ferry.app;

import dev.ferry.nix.SecretKey;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ferry keygen}: a signing key pair in the format of {@code nix-store --generate-binary-cache-key}. */
@Command(name = "keygen", mixinStandardHelpOptions = true,
        description = {"Generate an ed25519 signing key pair in Nix's format (as nix-store --generate-binary-cache-key).",
                "NAME is the key's name, by convention the cache's host name plus a number: cache.example.org-1."})
final class KeygenCommand implements Callable<Integer> {
    @Parameters(paramLabel = "NAME", description = "Key name, e.g. cache.example.org-1.")
    String name;

    @Option(names = "--secret-key", paramLabel = "FILE", required = true,
            description = "Where to write the secret key (mode 0600; must not exist).")
    Path secretKeyFile;

    @Option(names = "--public-key", paramLabel = "FILE", required = true,
            description = "Where to write the public key (must not exist).")
    Path publicKeyFile;

    @Override
    public Integer call() {
        SecretKey key = SecretKey.generate(name);
        for (Path file : new Path[] {secretKeyFile, publicKeyFile}) {
            if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
                throw new IllegalStateException(file + ": refusing to overwrite an existing key file");
            }
        }
        write(secretKeyFile, key.render(), "rw-------");
        write(publicKeyFile, key.publicKey().render(), "rw-r--r--");
        System.err.println("public key: " + key.publicKey().render());
        return 0;
    }

    /** Writes through a temporary file created with its final mode, then moves it into place without replacing. */
    private static void write(Path file, String text, String mode) {
        Path absolute = file.toAbsolutePath();
        try {
            Path temp = Files.createTempFile(absolute.getParent(), "." + absolute.getFileName(), ".tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(mode)));
            try {
                Files.writeString(temp, text, StandardCharsets.US_ASCII);
                Files.createLink(absolute, temp);
            } finally {
                Files.deleteIfExists(temp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + file + ": " + e.getMessage(), e);
        }
    }

}
