/**
 * Listeners owned by plugins (IMAP, POP3, an HTTP server) and the core services they need: {@link
 * io.herald.api.protocol.ProtocolService} (the lifecycle the host drives) and {@link io.herald.api.protocol.ServerTls}
 * (the server's certificate), {@link io.herald.api.protocol.ConnectionLimits} (connection limits like SMTP's).
 * Authentication is {@link io.herald.api.auth.Logins}.
 *
 * <p>Part of Herald's extension API. Exported to plugin bundles at a semantic version: raise the minor version for
 * an addition, the major version for any change that breaks a plugin compiled against the previous one.
 *
 * <p>1.1: {@code ProtocolService.stopAccepting()}, the first step of a stop (every listener stops accepting at once).
 * <p>1.2: {@code ConnectionLimits}, {@code maxSessions} and {@code maxConnectionsPerAddress} for a plugin's listeners.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.2.0")
package io.herald.api.protocol;
