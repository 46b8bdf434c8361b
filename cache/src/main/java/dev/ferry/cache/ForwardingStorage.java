package dev.ferry.cache;

import java.util.List;
import java.util.Optional;

/**
 * A storage that passes every call on: subclasses override what they watch or change (the server counts writes for
 * its metrics; tests stage races and faults).
 */
public class ForwardingStorage implements Storage {
    protected final Storage delegate;

    public ForwardingStorage(Storage delegate) {
        this.delegate = delegate;
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
    public boolean exists(String key) {
        return delegate.exists(key);
    }

    @Override
    public Optional<StoredObject> open(String key) {
        return delegate.open(key);
    }

    @Override
    public Optional<StoredObject> open(String key, long first, long length) {
        return delegate.open(key, first, length);
    }

    @Override
    public long write(String key, long sizeHint, ContentWriter writer) {
        return delegate.write(key, sizeHint, writer);
    }

    @Override
    public void put(String key, byte[] content) {
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

    @Override
    public List<ObjectInfo> listInfo(String prefix) {
        return delegate.listInfo(prefix);
    }

    @Override
    public List<ObjectInfo> leftovers() {
        return delegate.leftovers();
    }

    @Override
    public void deleteLeftover(String name) {
        delegate.deleteLeftover(name);
    }

    @Override
    public void close() {
        delegate.close();
    }
}
