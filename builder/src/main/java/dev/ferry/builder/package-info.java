/**
 * Builds: JGit checkout, deploy-config evaluation, {@code nix build}, publishing and manifest generations. Empty until
 * the builds issue; its place in the module graph is in docs/architecture.md.
 */
package dev.ferry.builder;
