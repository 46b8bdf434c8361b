/**
 * The deployer: converges signed manifest generations into systemd transient units and Caddy routes
 * ({@code docs/deployer.md}). {@link dev.ferry.deployer.Deployer} runs the passes: observe {@code Actual}, plan with
 * the pure {@code Planner}, execute, record {@link dev.ferry.deployer.DeployerState}.
 */
package dev.ferry.deployer;
