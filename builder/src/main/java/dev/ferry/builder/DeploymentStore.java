package dev.ferry.builder;

import java.util.List;
import java.util.Optional;

/** The deployments table; the release step writes it after the manifest generation is written. */
public interface DeploymentStore {
    List<Deployment> all();

    Optional<Deployment> find(String name);

    /** Inserts or replaces the deployment with this name. */
    void save(Deployment deployment);

    void delete(String name);
}
