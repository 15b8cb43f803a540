package io.herald.smtp;

/**
 * What an SMTP listener is for. The role decides the configuration pid, the default port and the policy defaults;
 * every listener is an {@link SmtpServer} with its own {@link SmtpSettings}.
 *
 * <ul>
 *   <li>{@link #MTA}: mail from other servers (RFC 5321, port 25 in production). STARTTLS is offered; AUTH is not
 *       (by default); unauthenticated clients may only send to recipients a router routes locally.</li>
 *   <li>{@link #SUBMISSION}: mail from users' clients (RFC 6409, port 587 in production) with STARTTLS (RFC 3207).
 *       AUTH is required before MAIL ({@code 530 5.7.0}), and MAIL FROM must be an address the user owns.</li>
 *   <li>{@link #SUBMISSIONS}: the same over implicit TLS (RFC 8314, port 465 in production): the TLS handshake
 *       comes first, STARTTLS is never offered.</li>
 * </ul>
 */
public enum ListenerRole {
    MTA("smtp", 2525, false, false),
    SUBMISSION("submission", 2587, false, true),
    SUBMISSIONS("submissions", 2465, true, true);

    private final String pid;
    private final int defaultPort;
    private final boolean implicitTls;
    private final boolean submission;

    ListenerRole(String pid, int defaultPort, boolean implicitTls, boolean submission) {
        this.pid = pid;
        this.defaultPort = defaultPort;
        this.implicitTls = implicitTls;
        this.submission = submission;
    }

    /** The configuration pid ({@code conf/<pid>.cfg}), also the default listener name. */
    public String pid() { return pid; }

    /** DESIGN §5. */
    public int defaultPort() { return defaultPort; }

    /** True when TLS starts with the connection (no STARTTLS). */
    public boolean implicitTls() { return implicitTls; }

    /** True for the message submission roles (RFC 6409). */
    public boolean submission() { return submission; }
}
