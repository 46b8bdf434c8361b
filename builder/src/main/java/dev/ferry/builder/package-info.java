/**
 * Builds: the queue and state in SQLite, JGit checkout, deploy-config evaluation, {@code nix build}, publishing and
 * manifest generations. {@link dev.ferry.builder.BuildPipeline} is the seam between the queue (which owns the
 * database rows, cancellation and logs) and the work of one build.
 */
package dev.ferry.builder;
