package io.herald.notify;

import java.time.Duration;

/** What one sink did with one event (what {@code herald notify test} prints). */
public sealed interface SinkOutcome {

    /** Delivered on attempt {@code attempts}, {@code elapsed} after it was published. */
    record Delivered(int attempts, Duration elapsed) implements SinkOutcome { }

    /** The sink's filter declined the event (users, folders, events). */
    record NotAccepted() implements SinkOutcome { }

    /** Not sent: the sink lacks configuration it needs ({@code what}: what to set, in which file). */
    record NotConfigured(String what) implements SinkOutcome { }

    /** Given up after {@code attempts} attempts. */
    record GivenUp(int attempts, String reason) implements SinkOutcome { }

    /** Never attempted: the queue was full, or the sink was withdrawn. */
    record Dropped(String reason) implements SinkOutcome { }

    /** Not finished when asked: {@code attempts} failed so far, the last with {@code lastError}; it is retried. */
    record Retrying(int attempts, String lastError, Duration nextAttemptIn) implements SinkOutcome { }

    /** Not yet attempted when asked (the sink is busy with earlier events). */
    record Queued() implements SinkOutcome { }

    /** One line for people. */
    static String describe(SinkOutcome o) {
        if (o instanceof Delivered d) return "delivered (attempt " + d.attempts() + ", " + d.elapsed().toMillis() + " ms)";
        if (o instanceof NotAccepted) return "not accepted (outside the sink's users/folders/events)";
        if (o instanceof NotConfigured n) return "not configured: " + n.what();
        if (o instanceof GivenUp g) return "gave up after " + g.attempts() + " attempt(s): " + g.reason();
        if (o instanceof Dropped d) return "dropped: " + d.reason();
        if (o instanceof Retrying r) return "retrying: " + r.attempts() + " attempt(s) failed, the last: " + r.lastError()
                + "; next in " + r.nextAttemptIn().toMillis() + " ms";
        return "queued (not attempted yet)";
    }
}
