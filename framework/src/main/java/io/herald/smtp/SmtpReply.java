package io.herald.smtp;

/**
 * One SMTP reply: a code (RFC 5321 §4.2), an enhanced status code (RFC 3463, sent only after EHLO as RFC 2034 asks)
 * and a text. The replies the core sends are named constants here, so the protocol code reads like the RFC.
 *
 * @param enhanced the RFC 3463 code, or null for replies that never carry one (greeting, 354, EHLO)
 */
public record SmtpReply(int code, String enhanced, String text) {

    // 2yz
    static final SmtpReply OK = new SmtpReply(250, "2.0.0", "Ok");
    static final SmtpReply SENDER_OK = new SmtpReply(250, "2.1.0", "Ok");
    static final SmtpReply RECIPIENT_OK = new SmtpReply(250, "2.1.5", "Ok");
    static final SmtpReply RESET_OK = new SmtpReply(250, "2.0.0", "Ok: transaction reset");
    static final SmtpReply CANNOT_VRFY = new SmtpReply(252, "2.5.0", "Cannot VRFY user, but will accept message and attempt delivery");
    static final SmtpReply HELP = new SmtpReply(214, "2.0.0",
            "Commands: EHLO HELO STARTTLS AUTH MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY HELP; see RFC 5321");
    // 3yz (RFC 5321 §4.2.1: intermediate; RFC 3463 classes are 2, 4 and 5 only, so no enhanced code)
    static final SmtpReply START_MAIL_INPUT = new SmtpReply(354, null, "End data with <CR><LF>.<CR><LF>");
    // 4yz
    static final SmtpReply TOO_MANY_ERRORS = new SmtpReply(421, "4.7.0", "Too many errors, closing connection");
    static final SmtpReply TIMEOUT = new SmtpReply(421, "4.4.2", "Timeout exceeded, closing connection");
    static final SmtpReply SHUTTING_DOWN = new SmtpReply(421, "4.3.2", "Server shutting down, closing connection");
    static final SmtpReply ROUTING_FAILED = new SmtpReply(451, "4.3.0", "Temporary routing failure, try again later");
    static final SmtpReply NO_STORE = new SmtpReply(451, "4.3.0", "No mailbox store is active yet, try again later");
    static final SmtpReply LOCAL_ERROR = new SmtpReply(451, "4.3.0", "Local error in processing, try again later");
    static final SmtpReply SENDER_CHECK_FAILED = new SmtpReply(451, "4.7.0", "Cannot check the sender address now, try again later");
    static final SmtpReply TOO_MANY_RECIPIENTS = new SmtpReply(452, "4.5.3", "Too many recipients");
    static final SmtpReply STORAGE_FAILED = new SmtpReply(452, "4.3.1", "Insufficient system storage, try again later");
    // 5yz
    static final SmtpReply UNKNOWN_COMMAND = new SmtpReply(500, "5.5.1", "Command unrecognized");
    static final SmtpReply SYNTAX_ERROR = new SmtpReply(500, "5.5.2", "Syntax error");
    static final SmtpReply LINE_TOO_LONG = new SmtpReply(500, "5.5.6", "Line too long");
    static final SmtpReply NOT_IMPLEMENTED = new SmtpReply(502, "5.5.1", "Command not implemented");
    static final SmtpReply NO_ARGUMENTS_ALLOWED = new SmtpReply(501, "5.5.4", "This command takes no arguments");
    static final SmtpReply HELO_FIRST = new SmtpReply(503, "5.5.1", "Bad sequence of commands: send EHLO or HELO first");
    static final SmtpReply NESTED_MAIL = new SmtpReply(503, "5.5.1", "Bad sequence of commands: MAIL already given");
    static final SmtpReply MAIL_FIRST = new SmtpReply(503, "5.5.1", "Bad sequence of commands: send MAIL first");
    static final SmtpReply RCPT_FIRST = new SmtpReply(503, "5.5.1", "Bad sequence of commands: no valid recipients");
    static final SmtpReply DATA_AFTER_BDAT = new SmtpReply(503, "5.5.1", "Bad sequence of commands: DATA after BDAT");
    static final SmtpReply RCPT_AFTER_BDAT = new SmtpReply(503, "5.5.1", "Bad sequence of commands: RCPT after BDAT");
    static final SmtpReply AUTH_REQUIRED = new SmtpReply(530, "5.7.0", "Authentication required");
    static final SmtpReply SENDER_NOT_OWNED = new SmtpReply(553, "5.7.1", "Sender address not owned by the authenticated user");
    static final SmtpReply RELAY_DENIED = new SmtpReply(550, "5.7.1", "Relaying denied");
    static final SmtpReply MESSAGE_TOO_BIG = new SmtpReply(552, "5.3.4", "Message size exceeds fixed maximum message size");
    static final SmtpReply BARE_LINE_ENDING = new SmtpReply(550, "5.6.11", "Bare LF/CR not allowed; use CRLF");
    static final SmtpReply UTF8_REQUIRED = new SmtpReply(553, "5.6.7", "Non-ASCII address requires MAIL FROM with SMTPUTF8");
    static final SmtpReply NOT_UTF8 = new SmtpReply(501, "5.5.2", "Syntax error: the command is not valid UTF-8");
    static final SmtpReply UNKNOWN_PARAMETER = new SmtpReply(555, "5.5.4", "MAIL FROM/RCPT TO parameter not recognized or not implemented");

    /** True for replies that count as a client protocol error against {@link SmtpSettings#maxErrors()}. */
    boolean isProtocolError() {
        return code == 500 || code == 501 || code == 502 || code == 503 || code == 553 || code == 555;
    }

    SmtpReply withText(String newText) {
        return new SmtpReply(code, enhanced, newText);
    }

    /** The reply as sent: {@code code SP [enhanced SP] text CRLF}. */
    String render(boolean enhancedCodes) {
        return code + " " + (enhancedCodes && enhanced != null ? enhanced + " " : "") + text + "\r\n";
    }
}
