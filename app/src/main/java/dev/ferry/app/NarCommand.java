package dev.ferry.app;

import dev.ferry.nix.NarDigest;
import dev.ferry.nix.NarUnpacker;
import dev.ferry.nix.NarWriter;
import java.io.BufferedInputStream;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ferry nar dump|hash|unpack}: Nix archives, byte for byte as Nix makes them. */
@Command(name = "nar", mixinStandardHelpOptions = true,
        description = "Work with Nix archives (NAR).",
        subcommands = {NarCommand.Dump.class, NarCommand.HashCmd.class, NarCommand.Unpack.class})
final class NarCommand {

    @Command(name = "dump", mixinStandardHelpOptions = true,
            description = "Write the NAR of a file, directory or symlink to standard output (as nix-store --dump).")
    static final class Dump implements Callable<Integer> {
        @Parameters(paramLabel = "PATH", description = "File, directory or symlink to serialise.")
        Path path;

        @Override
        public Integer call() throws IOException {
            OutputStream stdout = new FileOutputStream(FileDescriptor.out);
            NarWriter.write(path, stdout);
            stdout.flush();
            return 0;
        }
    }

    @Command(name = "hash", mixinStandardHelpOptions = true,
            description = "Print the SHA-256 of the NAR of PATH as sha256:<nix32> (as nix hash path --base32).")
    static final class HashCmd implements Callable<Integer> {
        @Parameters(paramLabel = "PATH", description = "File, directory or symlink to hash.")
        Path path;

        @Option(names = "--size", description = "Also print the NAR's size in bytes.")
        boolean size;

        @Override
        public Integer call() {
            NarDigest digest = NarWriter.hash(path);
            System.out.println(size ? digest.narHash() + " " + digest.narSize() : digest.narHash().toString());
            return 0;
        }
    }

    @Command(name = "unpack", mixinStandardHelpOptions = true,
            description = {"Unpack a NAR into DEST, which must not exist yet (as nix-store --restore).",
                    "The NAR is fully validated; on any error nothing is left behind."})
    static final class Unpack implements Callable<Integer> {
        @Option(names = "--input", paramLabel = "FILE", description = "Read the NAR from FILE instead of standard input.")
        Optional<Path> input;

        @Parameters(paramLabel = "DEST", description = "Where to unpack; must not exist.")
        Path destination;

        @Override
        public Integer call() {
            try (InputStream in = input.isPresent()
                    ? Files.newInputStream(input.get())
                    : new BufferedInputStream(new FileInputStream(FileDescriptor.in), 1 << 16)) {
                NarUnpacker.unpack(in, destination);
            } catch (IOException e) {
                throw new UncheckedIOException("reading " + input.map(Path::toString).orElse("standard input")
                        + ": " + e.getMessage(), e);
            }
            return 0;
        }
    }
}
