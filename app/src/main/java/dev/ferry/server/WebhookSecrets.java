package dev.ferry.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The webhook secrets: one shared ({@code ferry.webhook.secret-file}) and optional ones per configured project
 * ({@code webhook-secret-file}). A project with its own secret accepts only that one; every other project (API-added
 * ones too) accepts the shared one. A file's content with surrounding whitespace removed is the secret.
 */
final class WebhookSecrets {
    static final int MIN_LENGTH = 16;

    private final Optional<byte[]> shared;
    private final Map<String, byte[]> perProject;
    /** Every distinct secret, the shared one first. */
    private final List<byte[]> all;

    WebhookSecrets(Optional<byte[]> shared, Map<String, byte[]> perProject) {
        this.shared = shared;
        this.perProject = Map.copyOf(perProject);
        List<byte[]> distinct = new ArrayList<>();
        shared.ifPresent(distinct::add);
        for (byte[] secret : this.perProject.values()) {
            if (distinct.stream().noneMatch(s -> Arrays.equals(s, secret))) {
                distinct.add(secret);
            }
        }
        this.all = List.copyOf(distinct);
    }

    static WebhookSecrets load(BuilderSettings settings) {
        Optional<byte[]> shared = settings.webhookSecretFile()
                .map(file -> read(BuilderSettings.WEBHOOK_SECRET_FILE, file));
        Map<String, byte[]> perProject = new HashMap<>();
        for (int i = 0; i < settings.projects().size(); i++) {
            BuilderSettings.ConfiguredProject p = settings.projects().get(i);
            int index = i;
            p.webhookSecretFile().ifPresent(file -> perProject.put(p.project().name(),
                    read(BuilderSettings.PROJECTS + "[" + index + "].webhook-secret-file", file)));
        }
        return new WebhookSecrets(shared, perProject);
    }

    private static byte[] read(String key, Path file) {
        String secret;
        try {
            secret = Files.readString(file).strip();
        } catch (IOException e) {
            throw new InvalidConfigException(key, file + " cannot be read (" + e.getClass().getSimpleName() + ")", e);
        }
        if (secret.length() < MIN_LENGTH) {
            throw new InvalidConfigException(key, file + ": a webhook secret must be at least " + MIN_LENGTH
                    + " characters");
        }
        return secret.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    /** Every distinct secret, to verify a signature against before anything of the body is read. */
    List<byte[]> all() {
        return all;
    }

    /** Whether a body signed with {@code secret} may address {@code project}. */
    boolean accepts(String project, byte[] secret) {
        byte[] expected = perProject.get(project);
        if (expected != null) {
            return MessageDigest.isEqual(expected, secret);
        }
        // Both are secrets the server holds (the one a signature matched, and a project's), compared in constant
        // time all the same, as every secret is.
        return shared.map(s -> MessageDigest.isEqual(s, secret)).orElse(false);
    }

    boolean hasOwn(String project) {
        return perProject.containsKey(project);
    }
}
