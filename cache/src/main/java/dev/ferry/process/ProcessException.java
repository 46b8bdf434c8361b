package dev.ferry.process;

/** A program that could not start, timed out, or exited non-zero; the message carries the tail of its stderr. */
public class ProcessException extends RuntimeException {
    private final int exitCode;
    private final String stderr;

    public ProcessException(String message, int exitCode, String stderr, Throwable cause) {
        super(stderr.isBlank() ? message : message + ":\n" + stderr.strip(), cause);
        this.exitCode = exitCode;
        this.stderr = stderr;
    }

    /** The exit code, or -1 if the program did not start or was killed on timeout. */
    public int exitCode() {
        return exitCode;
    }

    public String stderr() {
        return stderr;
    }
}
