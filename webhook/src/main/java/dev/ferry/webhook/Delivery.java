package dev.ferry.webhook;

import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * What the headers of a webhook request say: the forge, the event name, the delivery id (forges resend a delivery
 * with the same id) and the signature header's value.
 */
public record Delivery(Forge forge, String event, String id, Optional<String> signature) {
    /** Longest delivery id kept; forges send UUIDs (36 characters). */
    static final int MAX_ID_LENGTH = 128;

    public Delivery {
        Objects.requireNonNull(forge, "forge");
        Objects.requireNonNull(event, "event");
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(signature, "signature");
    }

    /**
     * Reads the headers through {@code header} (a case-insensitive lookup). Fails as
     * {@link WebhookException.Kind#MALFORMED} when no forge's event header is present, or the delivery id is missing
     * (every forge sends one, and a delivery sent again is recognised by it) or not printable ASCII of at most 128
     * characters.
     */
    public static Delivery fromHeaders(Function<String, Optional<String>> header) {
        for (Forge forge : Forge.values()) {
            Optional<String> event = header.apply(forge.eventHeader()).map(String::strip);
            if (event.isPresent() && !event.get().isEmpty()) {
                String id = header.apply(forge.deliveryHeader()).map(String::strip).filter(s -> !s.isEmpty())
                        .orElseThrow(() -> new WebhookException(WebhookException.Kind.MALFORMED, forge.deliveryHeader()
                                + " is missing: forges send one with every delivery, and Ferry needs it to recognise a"
                                + " delivery sent again"));
                if (id.length() > MAX_ID_LENGTH || id.chars().anyMatch(c -> c < 0x21 || c > 0x7e)) {
                    throw new WebhookException(WebhookException.Kind.MALFORMED, forge.deliveryHeader()
                            + " is not printable ASCII of at most " + MAX_ID_LENGTH + " characters");
                }
                return new Delivery(forge, event.get(), id, header.apply(forge.signatureHeader()).map(String::strip));
            }
        }
        throw new WebhookException(WebhookException.Kind.MALFORMED,
                "not a forge webhook: none of X-Forgejo-Event, X-Gitea-Event, X-GitHub-Event is set");
    }
}
