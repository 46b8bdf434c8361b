package dev.ferry.cache;

import java.io.IOException;
import java.io.InputStream;

/** An object being read: its size, known before the first byte, and its body. Close it. */
public record StoredObject(long size, InputStream body) implements AutoCloseable {
    @Override
    public void close() {
        try {
            body.close();
        } catch (IOException e) {
            // nothing to lose on a read stream
        }
    }
}
