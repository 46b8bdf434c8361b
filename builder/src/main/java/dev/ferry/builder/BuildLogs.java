package dev.ferry.builder;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.time.Duration;

/** Reading a build's log while it is written: what {@code GET /v1/builds/{id}/log} streams. */
public final class BuildLogs {
    static final Duration POLL = Duration.ofMillis(200);

    private final BuildQueue queue;

    public BuildLogs(BuildQueue queue) {
        this.queue = queue;
    }

    /**
     * Copies the log of build {@code id} to {@code out} (flushing after each piece) until the build has ended and
     * everything it wrote was copied. A queued build's log is waited for. Returns when the client goes away too
     * ({@code out} throws).
     */
    public void follow(long id, OutputStream out) throws IOException, InterruptedException {
        long offset = 0;
        byte[] buffer = new byte[16384];
        while (true) {
            // Read the status before the file: a build that ended before this read has written all of its log.
            boolean ended = !queue.isActive(id) && (queue.isClosed()
                    || queue.store().find(id).map(b -> b.status().finished()).orElse(true));
            try (InputStream in = Files.newInputStream(queue.logFile(id))) {
                in.skipNBytes(offset);
                for (int n; (n = in.read(buffer)) > 0; ) {
                    out.write(buffer, 0, n);
                    offset += n;
                }
                out.flush();
            } catch (NoSuchFileException e) {
                // not started yet (or a build that never ran: cancelled while queued)
            }
            if (ended) {
                return;
            }
            Thread.sleep(POLL);
        }
    }
}
