package dev.ferry.builder;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** The deployments table, in memory, for tests of the pipeline (the queue's SQLite store is tested on its own). */
final class InMemoryDeploymentStore implements DeploymentStore {
    private final Map<String, Deployment> rows = new TreeMap<>();

    @Override
    public synchronized List<Deployment> all() {
        return new ArrayList<>(rows.values());
    }

    @Override
    public synchronized Optional<Deployment> find(String name) {
        return Optional.ofNullable(rows.get(name));
    }

    @Override
    public synchronized void save(Deployment deployment) {
        rows.put(deployment.name(), deployment);
    }

    @Override
    public synchronized void delete(String name) {
        rows.remove(name);
    }
}
