package dev.ferry.server;

import dev.ferry.nix.NixFormatException;
import dev.ferry.nix.SecretKey;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The cache's signing key, in Nix's secret key format. The default file is generated on first start (mode 0600, key
 * name {@code <hostname>-1}) with the public key written next to it; a configured file must exist.
 */
final class SigningKeyFile {
    private SigningKeyFile() {
    }

    /** Reads the key, or generates the default one if it is missing. */
    static SecretKey loadOrGenerate(ServerConfig config) {
        Path file = config.secretKeyFile();
        if (!Files.exists(file) && config.secretKeyFileIsDefault()) {
            generate(file, hostname() + "-1");
        }
        return read(file);
    }

    static SecretKey read(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.US_ASCII);
        } catch (NoSuchFileException e) {
            throw new InvalidConfigException(ServerConfig.SECRET_KEY_FILE, file + " does not exist (generate one with "
                    + "ferry keygen, or leave the setting out to use a generated default)");
        } catch (IOException e) {
            throw new InvalidConfigException(ServerConfig.SECRET_KEY_FILE, file + " cannot be read: " + e.getMessage(), e);
        }
        try {
            return SecretKey.parse(text);
        } catch (NixFormatException e) {
            throw new InvalidConfigException(ServerConfig.SECRET_KEY_FILE, file + " is not a Nix secret key: "
                    + e.getMessage(), e);
        }
    }

    /** Where the public key of a generated secret key goes: "secret" in the file name becomes "public", else {@code .pub} is added. */
    static Path publicKeyFile(Path secretKeyFile) {
        String name = secretKeyFile.getFileName().toString();
        int at = name.lastIndexOf("secret");
        return secretKeyFile.resolveSibling(at >= 0
                ? name.substring(0, at) + "public" + name.substring(at + "secret".length())
                : name + ".pub");
    }

    /**
     * Writes a new key pair. The secret goes through a temporary file created with mode 0600 and is linked into
     * place, which fails if another process generated one meanwhile (then that one is used).
     */
    static void generate(Path file, String name) {
        SecretKey key = SecretKey.generate(name);
        try {
            Path directory = file.toAbsolutePath().getParent();
            if (!Files.isDirectory(directory)) {
                Files.createDirectories(directory, PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rwx------")));
            }
            Path temp = Files.createTempFile(directory, ".secret", ".tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            try {
                Files.writeString(temp, key.render(), StandardCharsets.US_ASCII);
                Files.createLink(file, temp);
            } catch (FileAlreadyExistsException e) {
                return;
            } finally {
                Files.deleteIfExists(temp);
            }
            Path publicFile = publicKeyFile(file);
            Path publicTemp = Files.createTempFile(directory, ".public", ".tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--")));
            Files.writeString(publicTemp, key.publicKey().render(), StandardCharsets.US_ASCII);
            Files.move(publicTemp, publicFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new InvalidConfigException(ServerConfig.SECRET_KEY_FILE, "cannot generate " + file + ": "
                    + e.getMessage(), e);
        }
    }

    /** The host name for key names: the kernel's, else the resolver's, reduced to [A-Za-z0-9.-]. */
    static String hostname() {
        String name = "";
        try {
            name = Files.readString(Path.of("/proc/sys/kernel/hostname"), StandardCharsets.US_ASCII).strip();
        } catch (IOException e) {
            try {
                name = InetAddress.getLocalHost().getHostName();
            } catch (IOException ignored) {
                // fall through to the default
            }
        }
        String cleaned = name.replaceAll("[^A-Za-z0-9.-]", "");
        return cleaned.isEmpty() ? "ferry" : cleaned;
    }
}
