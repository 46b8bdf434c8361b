/**
 * The Ferry server ({@code ferry serve}): Helidon SE serving the binary cache as a Nix substituter at {@code /cache}
 * and accepting uploads from stock Nix. One small handler per endpoint; {@link dev.ferry.server.Routes} lists the
 * routes; {@link dev.ferry.server.ErrorResponses} maps every failure to a status.
 */
package dev.ferry.server;
