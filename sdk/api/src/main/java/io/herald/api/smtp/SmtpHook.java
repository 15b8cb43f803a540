package io.herald.api.smtp;

import io.herald.api.mail.Envelope;
import io.herald.api.mail.MailAddress;
import io.herald.api.mail.MessageContent;

import java.util.Optional;

/**
 * Called at each stage of an SMTP transaction. Hooks form a chain ordered by {@link #priority()}
 * (lower first); the first answer that is not {@link HookResult.Next} decides the stage.
 *
 * <p><b>Contract.</b> Bound with {@code smtpHook().to(MyHook.class)} in a {@link io.herald.api.plugin.HeraldPlugin};
 * one instance per plugin start (make it a singleton if it keeps state), shared by all sessions and all listeners
 * ({@link SessionInfo#listener()} says which: {@code smtp}, {@code submission}, {@code submissions}). Every method
 * has a default that answers {@link HookResult#next()}, so a hook overrides only the stages it cares about. A
 * session uses the hooks that were registered when it began: a plugin deployed or removed meanwhile affects new
 * sessions only.
 *
 * <p><b>Threading.</b> Hooks are called off the network threads, on a bounded executor shared by the listener's
 * sessions ({@code smtp.cfg} {@code hookThreads}, default 16), one call at a time per session but concurrently for
 * different sessions: implementations must be thread-safe. A hook that is {@link #nonBlocking(SessionInfo)} is called on the
 * network thread instead.
 *
 * <p><b>Time limit.</b> Each call has the listener's {@code hookTimeout} ({@code conf/smtp.cfg}, default 10s); a
 * call that runs out of time is interrupted. Blocking I/O (DNS, a remote service) is allowed within that limit.
 *
 * <p><b>Failure policy: fail open.</b> A hook that throws or runs out of time is logged and treated as
 * {@link HookResult.Next}; a hook that must fail closed (refuse when in doubt) catches its own failure and returns a
 * {@link HookResult.Defer}. Consecutive failures count towards the plugin's circuit breaker ({@code herald.cfg}
 * {@code pluginFailureLimit}).
 *
 * <p><b>Configuration.</b> Inject {@link io.herald.api.config.Configuration} (the plugin's {@code conf/<pid>.cfg});
 * it is read when the plugin starts, and the plugin is restarted when it changes.
 */
@org.osgi.annotation.versioning.ConsumerType
public interface SmtpHook {

    /** Position in the chain; lower runs first. */
    default int priority() { return 100; }

    /**
     * True when this hook's calls for this session never block: the session then calls them on the network (I/O)
     * thread that reads the client, without the two thread hand-offs to the hook executor and back. Asked before
     * every call, so the answer may follow the hook's configuration and the session (e.g. true while the hook is
     * configured off, or for a session it ignores, when it answers {@link HookResult#next()} at once).
     *
     * <p><b>Contract.</b> When true, each method returns within microseconds and never blocks: no network, no DNS, no
     * disk I/O or sync, no waiting for a lock another thread holds across such work, no sleep, no heavy computation
     * (a signature, a content scan). The network thread serves many sessions and no time limit applies there (a call
     * cannot be interrupted on that thread): a hook that blocks stalls every session on the thread. The failure
     * policy is unchanged (an exception counts as {@link HookResult.Next} and for the circuit breaker).
     *
     * @since 1.1
     */
    default boolean nonBlocking(SessionInfo session) { return false; }

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
