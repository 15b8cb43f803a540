package io.herald.api.protocol;

import javax.net.ssl.SSLContext;
import java.util.List;

/**
 * The server's TLS identity for plugin-owned listeners (IMAP STARTTLS and implicit TLS, POP3 STLS): the same
 * certificate as SMTP ({@code conf/tls.cfg}, or the self-signed one generated in {@code data/tls/} on first start).
 * Inject it in a plugin.
 *
 * <p>{@link #context()} follows the certificate: when its files change it returns a context with the new one, so
 * take it for each new handshake (each connection, each STARTTLS) instead of keeping one. Engines and sockets made
 * from it enable only {@link #protocols()} (TLSv1.3 and TLSv1.2, RFC 8996). Use it in server mode.
 *
 * <p><b>Threading.</b> Thread-safe. {@link #context()} may read the certificate files (at most once a second) but
 * does not block otherwise. <b>Failure policy.</b> When changed files cannot be loaded, the last good context stays
 * in use (the core logs it); {@code context()} throws {@link IllegalStateException} only when the server has no
 * usable certificate at all: answer the client that TLS is not available (IMAP {@code NO [UNAVAILABLE]}).
 */
public interface ServerTls {

    /** The current server context. */
    SSLContext context();

    /** The protocol versions enabled, strongest first: {@code TLSv1.3}, {@code TLSv1.2}. */
    List<String> protocols();
}
