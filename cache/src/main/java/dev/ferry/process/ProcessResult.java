package dev.ferry.process;

/** What a finished program left: its exit code, its standard output (if captured) and the tail of its stderr. */
public record ProcessResult(int exitCode, String stdout, String stderr) {
}
