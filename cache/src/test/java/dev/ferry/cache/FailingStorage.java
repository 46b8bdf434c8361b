package dev.ferry.cache;

import java.util.concurrent.atomic.AtomicInteger;

/** A storage that fails every write after the first {@code allowedWrites}, like a process killed mid-publish. */
final class FailingStorage extends ForwardingStorage {
    private final AtomicInteger writesLeft;

    FailingStorage(Storage delegate, int allowedWrites) {
        super(delegate);
        this.writesLeft = new AtomicInteger(allowedWrites);
    }

    private void spend() {
        if (writesLeft.getAndDecrement() <= 0) {
            throw new CacheException("injected failure: storage unavailable");
        }
    }

    @Override
    public long write(String key, long sizeHint, ContentWriter writer) {
        spend();
        return delegate.write(key, sizeHint, writer);
    }

    @Override
    public void put(String key, byte[] content) {
        spend();
        delegate.put(key, content);
    }
}
