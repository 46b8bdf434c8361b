/**
 * Forge webhooks (Forgejo, Gitea, GitHub): constant-time HMAC verification before parsing, event decoding. Empty
 * until the builds issue; its place in the module graph is in docs/architecture.md.
 */
package dev.ferry.webhook;
