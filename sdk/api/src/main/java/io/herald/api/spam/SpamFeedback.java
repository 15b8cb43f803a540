package io.herald.api.spam;

/**
 * A user's verdict on a stored message, for the spam filters' learning: an IMAP (or webmail) plugin reports that a
 * user moved a message into the Junk folder ({@code spam = true}) or out of it ({@code spam = false}); the core
 * reads the message from the active store and hands it to every {@link SpamLearner} ({@link SpamLearner#learn}).
 * Inject it in a plugin.
 *
 * <p><b>Threading.</b> Thread-safe and non-blocking: the report is queued and the learners run later on a core
 * thread of their own, so a slow learner never delays the IMAP command. <b>Failure policy.</b> A learner that throws
 * is logged and the others still learn; a full queue drops the report (counted and logged): learning is best effort
 * and never affects the mailbox operation.
 */
public interface SpamFeedback {

    /**
     * @param mailbox the canonical mailbox address
     * @param folder  the folder the message is in now (after the move or copy)
     * @param uid     its UID there
     * @param spam    true: the user says spam (moved into Junk); false: the user says not spam (moved out of Junk)
     */
    void report(String mailbox, String folder, long uid, boolean spam);
}
