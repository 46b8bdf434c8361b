/**
 * The deployer: converges signed manifest generations into systemd transient units and Caddy routes. Empty until the
 * deployer issue; its place in the module graph is in docs/architecture.md.
 */
package dev.ferry.deployer;
