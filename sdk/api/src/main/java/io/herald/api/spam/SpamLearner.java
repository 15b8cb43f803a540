package io.herald.api.spam;

import io.herald.api.mail.MessageContent;

import java.io.IOException;

/**
 * Something that learns from labelled messages: a statistical filter's training side. The core calls it when a
 * user moves a message into the Junk folder ({@code spam = true}) or out of it ({@code spam = false}), and the
 * {@code herald spam train} command feeds it folders of labelled messages.
 *
 * <p><b>Threading.</b> Implementations are thread-safe: learning happens on IMAP and tool threads while the same
 * instance scores messages as a {@link SpamFilter}. Learning the same message twice with the same label should not
 * count it twice where the implementation can tell (it may not be able to); relabelling is {@link #forget} then
 * {@link #learn}.
 *
 * <p><b>Time limit and failure policy.</b> No time limit: learning is never on the path of an SMTP reply. An
 * exception reaches the caller (the user's move still happens; the tool reports the message it could not learn).
 */
@org.osgi.annotation.versioning.ConsumerType
public interface SpamLearner {

    /** A short name for logs and command output. */
    default String name() {
        return getClass().getSimpleName();
    }

    /** Learns one message as spam ({@code true}) or ham ({@code false}). */
    void learn(MessageContent message, boolean spam) throws IOException;

    /**
     * Undoes an earlier {@link #learn} of this message with this label, e.g. when a user moves a message out of
     * Junk that was learnt as spam. The default does nothing (not every learner can forget).
     */
    default void forget(MessageContent message, boolean wasSpam) throws IOException {
    }

    /** Writes what was learnt to stable storage; called after bulk training and when the plugin stops. */
    default void flush() throws IOException {
    }
}
