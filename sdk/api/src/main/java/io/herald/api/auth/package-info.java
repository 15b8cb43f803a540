/**
 * Authentication: {@link io.herald.api.auth.Authenticator} checks who a client is (SMTP AUTH, IMAP, POP3),
 * {@link io.herald.api.auth.SenderPolicy} says which envelope senders an authenticated user may use, and
 * {@link io.herald.api.auth.UserAdmin} manages the users of a user database plugin.
 *
 * <p>1.1: {@link io.herald.api.auth.Logins} and {@link io.herald.api.auth.SaslServer}, the core's authentication
 * for protocol plugins (IMAP, POP3): the same authenticator chain and brute-force throttle as SMTP AUTH.
 *
 * <p>1.2: {@link io.herald.api.auth.UserAdmin#canonicalAddress}, the stored form of an address (a default method).
 *
 * <p>Part of Herald's extension API. Exported to plugin bundles at a semantic version: raise the minor version for
 * an addition, the major version for any change that breaks a plugin compiled against the previous one.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.2.0")
package io.herald.api.auth;
