package dev.ferry.webhook;

/**
 * The forges Ferry understands, each with the headers that carry its event name, delivery id and signature. Gitea
 * also sends GitHub's and Gogs' headers and Forgejo also sends Gitea's, so detection tries Forgejo, then Gitea, then
 * GitHub.
 */
public enum Forge {
    FORGEJO("X-Forgejo-Event", "X-Forgejo-Delivery", "X-Forgejo-Signature", ""),
    GITEA("X-Gitea-Event", "X-Gitea-Delivery", "X-Gitea-Signature", ""),
    GITHUB("X-GitHub-Event", "X-GitHub-Delivery", "X-Hub-Signature-256", "sha256=");

    private final String eventHeader;
    private final String deliveryHeader;
    private final String signatureHeader;
    private final String signaturePrefix;

    Forge(String eventHeader, String deliveryHeader, String signatureHeader, String signaturePrefix) {
        this.eventHeader = eventHeader;
        this.deliveryHeader = deliveryHeader;
        this.signatureHeader = signatureHeader;
        this.signaturePrefix = signaturePrefix;
    }

    public String eventHeader() {
        return eventHeader;
    }

    public String deliveryHeader() {
        return deliveryHeader;
    }

    public String signatureHeader() {
        return signatureHeader;
    }

    /** What precedes the hex digest in the signature header: {@code sha256=} for GitHub, nothing otherwise. */
    public String signaturePrefix() {
        return signaturePrefix;
    }

    /** Lower case: {@code forgejo}, {@code gitea}, {@code github}. */
    public String id() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
