package dev.ferry.process;

import java.io.OutputStream;

/**
 * The one seam through which Ferry runs external programs ({@code nix}, {@code caddy}, ...). Inject it; tests of code
 * that runs programs can pass their own.
 */
public interface ProcessRunner {
    /**
     * Runs {@code command}, streaming its standard output to {@code stdout}.
     *
     * @throws ProcessException if it cannot start, outlives its timeout (its whole process tree is killed), or exits
     *                          non-zero
     */
    ProcessResult run(Command command, OutputStream stdout);

    /**
     * As {@link #run(Command, OutputStream)}, and also copies standard error to {@code stderr} as it arrives (a build
     * log); the error still carries its tail. Runners that cannot stream stderr (test fakes) ignore {@code stderr}.
     */
    default ProcessResult run(Command command, OutputStream stdout, OutputStream stderr) {
        return run(command, stdout);
    }

    /** Runs {@code command} and returns its standard output as UTF-8 text. */
    default ProcessResult run(Command command) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        ProcessResult result = run(command, out);
        return new ProcessResult(result.exitCode(), out.toString(java.nio.charset.StandardCharsets.UTF_8),
                result.stderr());
    }

    /** Runs programs on this machine with {@link ProcessBuilder}. */
    static ProcessRunner local() {
        return new LocalProcessRunner();
    }
}
