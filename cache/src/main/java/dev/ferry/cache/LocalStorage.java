package dev.ferry.cache;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * A cache in a local directory ({@code file:///abs/dir}). Every write goes to a temporary file in the target's
 * directory and is moved into place with one {@code rename}; conditional creates use a hard link, which fails if the
 * name exists. Temporary files start with {@code .} and never match a valid key, so listings skip them.
 */
final class LocalStorage implements Storage {
    private static final String TEMP_PREFIX = ".tmp-";
    private static final String TEMP_SUFFIX = ".part";

    private static final java.util.Set<java.nio.file.OpenOption> CREATE_NEW = java.util.Set.of(
            java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.WRITE);
    /** Cache objects are public by nature (a web server may serve the directory): world-readable. */
    private static final java.nio.file.attribute.FileAttribute<?> READABLE =
            java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                    java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));

    private final Path root;

    LocalStorage(Path root) {
        this.root = root.toAbsolutePath().normalize();
        try {
            Files.createDirectories(this.root);
        } catch (IOException e) {
            throw new CacheException("cannot create cache directory " + this.root + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String uri() {
        return "file://" + root;
    }

    Path root() {
        return root;
    }

    private Path path(String key) {
        Path path = root.resolve(ObjectKeys.check(key)).normalize();
        if (!path.startsWith(root) || path.equals(root)) {
            throw new InvalidKeyException("object key '" + key + "' leaves the cache directory");
        }
        return path;
    }

    @Override
    public Optional<Long> size(String key) {
        Path path = path(key);
        try {
            BasicFileAttributes attributes = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            return attributes.isRegularFile() ? Optional.of(attributes.size()) : Optional.empty();
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw failure("reading", path, e);
        }
    }

    @Override
    public Optional<StoredObject> open(String key) {
        Path path = path(key);
        try {
            InputStream in = Files.newInputStream(path, LinkOption.NOFOLLOW_LINKS);
            try {
                BasicFileAttributes attributes = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                if (!attributes.isRegularFile()) {
                    in.close();
                    return Optional.empty();
                }
                return Optional.of(new StoredObject(attributes.size(), in));
            } catch (IOException | RuntimeException e) {
                in.close();
                throw e;
            }
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
                return Optional.empty();
            }
            throw failure("reading", path, e);
        }
    }

    @Override
    public long write(String key, long sizeHint, ContentWriter writer) {
        Path path = path(key);
        Path temp = null;
        try {
            long size;
            Temp created = createTemp(path);
            temp = created.path();
            try (OutputStream out = created.out()) {
                CountingOutputStream counting = new CountingOutputStream(out);
                writer.writeTo(counting);
                size = counting.count();
            }
            Files.move(temp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            temp = null;
            return size;
        } catch (IOException e) {
            throw failure("writing", path, e);
        } finally {
            deleteQuietly(temp);
        }
    }

    @Override
    public void put(String key, byte[] content) {
        write(key, content.length, out -> out.write(content));
    }

    @Override
    public boolean createIfAbsent(String key, byte[] content) {
        Path path = path(key);
        Path temp = null;
        try {
            Temp created = createTemp(path);
            temp = created.path();
            try (OutputStream out = created.out()) {
                out.write(content);
            }
            try {
                Files.createLink(path, temp);
            } catch (FileAlreadyExistsException e) {
                return false; // only the name being taken means that: a failed temporary file is an error
            }
            return true;
        } catch (IOException e) {
            throw failure("creating", path, e);
        } finally {
            deleteQuietly(temp);
        }
    }

    @Override
    public void delete(String key) {
        Path path = path(key);
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            throw failure("deleting", path, e);
        }
    }

    @Override
    public List<ObjectInfo> listInfo(String prefix) {
        int slash = prefix.lastIndexOf('/');
        Path start = slash < 0 ? root : path(prefix.substring(0, slash));
        List<ObjectInfo> objects = new ArrayList<>();
        walk(start, (p, attributes) -> {
            String key = root.relativize(p).toString();
            if (key.startsWith(prefix) && ObjectKeys.isValid(key) && !p.getFileName().toString().startsWith(".")) {
                objects.add(new ObjectInfo(key, attributes.size(), attributes.lastModifiedTime().toInstant()));
            }
        });
        objects.sort(Comparator.comparing(ObjectInfo::key));
        return objects;
    }

    /** The temporary files of writes that never completed, named by their path relative to the cache directory. */
    @Override
    public List<ObjectInfo> leftovers() {
        List<ObjectInfo> leftovers = new ArrayList<>();
        walk(root, (p, attributes) -> {
            if (isTempFile(p)) {
                leftovers.add(new ObjectInfo(root.relativize(p).toString(), attributes.size(),
                        attributes.lastModifiedTime().toInstant()));
            }
        });
        leftovers.sort(Comparator.comparing(ObjectInfo::key));
        return leftovers;
    }

    @Override
    public void deleteLeftover(String name) {
        Path path = root.resolve(name).normalize();
        if (!path.startsWith(root) || !isTempFile(path)) {
            throw new InvalidKeyException("'" + name + "' is not a temporary file of " + uri());
        }
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            throw failure("deleting", path, e);
        }
    }

    private static boolean isTempFile(Path path) {
        String name = path.getFileName().toString();
        return name.startsWith(TEMP_PREFIX) && name.endsWith(TEMP_SUFFIX);
    }

    /** Visits every regular file under {@code start}; files that vanish meanwhile (a writer's temporary) are skipped. */
    private void walk(Path start, java.util.function.BiConsumer<Path, BasicFileAttributes> visitor) {
        if (!Files.isDirectory(start, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try {
            Files.walkFileTree(start, new java.nio.file.SimpleFileVisitor<>() {
                @Override
                public java.nio.file.FileVisitResult visitFile(Path p, BasicFileAttributes attributes) {
                    if (attributes.isRegularFile()) {
                        visitor.accept(p, attributes);
                    }
                    return java.nio.file.FileVisitResult.CONTINUE;
                }

                @Override
                public java.nio.file.FileVisitResult visitFileFailed(Path p, IOException e) throws IOException {
                    // A temporary file of a concurrent writer may vanish between listing and reading: not an error.
                    if (e instanceof NoSuchFileException) {
                        return java.nio.file.FileVisitResult.CONTINUE;
                    }
                    throw e;
                }
            });
        } catch (IOException e) {
            throw new CacheException("listing " + start + ": " + e.getMessage(), e);
        }
    }

    private record Temp(Path path, OutputStream out) {
    }

    /**
     * A new temporary file next to {@code target}, open for writing: one {@code open(O_CREAT|O_EXCL)}, where
     * {@link Files#createTempFile} costs a second open; the directory is created only when it is missing.
     */
    private static Temp createTemp(Path target) throws IOException {
        Path directory = target.getParent();
        for (int attempt = 0; ; attempt++) {
            Path temp = directory.resolve(TEMP_PREFIX + Long.toUnsignedString(
                    java.util.concurrent.ThreadLocalRandom.current().nextLong(), 36) + TEMP_SUFFIX);
            try {
                return new Temp(temp, java.nio.channels.Channels.newOutputStream(Files.newByteChannel(temp, CREATE_NEW, READABLE)));
            } catch (FileAlreadyExistsException e) {
                if (attempt >= 100) {
                    throw e;
                }
            } catch (NoSuchFileException e) {
                if (attempt >= 100) {
                    throw e;
                }
                Files.createDirectories(directory);
            }
        }
    }

    private static void deleteQuietly(Path path) {
        if (path == null) {
            return;
        }
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            // a leftover temporary file is invisible to readers; nothing else to do
        }
    }

    private static CacheException failure(String what, Path path, IOException e) {
        return new CacheException(what + " " + path + " failed: " + e, e);
    }
}
