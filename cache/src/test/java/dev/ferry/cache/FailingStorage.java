package dev.ferry.cache;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/** A storage that fails every write after the first {@code allowedWrites}, like a process killed mid-publish. */
final class FailingStorage implements Storage {
    private final Storage delegate;
    private final AtomicInteger writesLeft;

    FailingStorage(Storage delegate, int allowedWrites) {
        this.delegate = delegate;
        this.writesLeft = new AtomicInteger(allowedWrites);
    }

    private void spend() {
        if (writesLeft.getAndDecrement() <= 0) {
            throw new CacheException("injected failure: storage unavailable");
        }
    }

    @Override
    public String uri() {
        return delegate.uri();
    }

    @Override
    public Optional<Long> size(String key) {
        return delegate.size(key);
    }

    @Override
    public Optional<StoredObject> open(String key) {
        return delegate.open(key);
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

    @Override
    public boolean createIfAbsent(String key, byte[] content) {
        return delegate.createIfAbsent(key, content);
    }

    @Override
    public void delete(String key) {
        delegate.delete(key);
    }

    @Override
    public List<String> list(String prefix) {
        return delegate.list(prefix);
    }
}
