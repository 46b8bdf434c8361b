/**
 * Forge webhooks (Forgejo, Gitea, GitHub): the forge and delivery read from the headers ({@link Delivery}), the body
 * read under a size limit and its HMAC-SHA256 signature checked in constant time ({@link Signatures}) before the body
 * is parsed into a typed {@link WebhookEvent} ({@link Events}). Pure: JDK and Jackson, no HTTP server, no I/O but the
 * body stream. Every failure is a {@link WebhookException} whose {@link WebhookException.Kind} the server maps to a
 * status.
 */
package dev.ferry.webhook;
