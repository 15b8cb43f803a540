package io.herald.api.smtp;

import io.herald.api.mail.Envelope;
import io.herald.api.mail.MailAddress;
import io.herald.api.mail.MessageContent;

import java.util.Optional;

/**
 * Called at each stage of an SMTP transaction. Hooks form a chain ordered by {@link #priority()}
 * (lower first); the first answer that is not {@link HookResult.Next} decides the stage.
 *
 * <p>Threading: hooks are called off the network threads, on a bounded executor, one call at a time per
 * session, with a time limit. A hook that throws or runs out of time is logged and treated as
 * {@link HookResult.Next} (the SMTP core fails open for hooks); a hook that must fail closed returns a
 * {@link HookResult.Defer} itself.
 *
 * <p>Every method has a default that answers {@link HookResult#next()}, so a hook overrides only the
 * stages it cares about.
 */
public interface SmtpHook {

    /** Position in the chain; lower runs first. */
    default int priority() { return 100; }

    /** A client connected; nothing has been said yet. */
    default HookResult onConnect(SessionInfo session) { return HookResult.next(); }

    /** The client said EHLO or HELO. */
    default HookResult onHelo(SessionInfo session, String helo) { return HookResult.next(); }

    /** MAIL FROM: {@code reversePath} is empty for the null reverse-path. */
    default HookResult onMail(SessionInfo session, Optional<MailAddress> reversePath) { return HookResult.next(); }

    /** RCPT TO, after the router accepted the recipient. {@code envelope} holds the recipients accepted so far. */
    default HookResult onRcpt(SessionInfo session, Envelope envelope, MailAddress recipient) { return HookResult.next(); }

    /**
     * The end of DATA (or the last BDAT chunk): the whole message is spooled but not yet committed.
     * Rejecting here refuses the message at SMTP time (no bounce is ever sent for it).
     */
    default HookResult onMessage(SessionInfo session, Envelope envelope, MessageContent message) { return HookResult.next(); }
}
