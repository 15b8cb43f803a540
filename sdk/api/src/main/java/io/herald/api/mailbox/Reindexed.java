package io.herald.api.mailbox;

import java.time.Duration;

/**
 * What {@link MailboxStore#reindex()} rebuilt: every message of every mailbox, read back from the stored messages.
 *
 * @param mailboxes the mailboxes whose messages were indexed
 * @param messages  the messages indexed (a message in two folders counts twice)
 * @param elapsed   how long the rebuild took, from taking the store for writing to the committed index
 */
public record Reindexed(int mailboxes, long messages, Duration elapsed) {
    public Reindexed {
        if (mailboxes < 0 || messages < 0) throw new IllegalArgumentException("negative counts");
        if (elapsed == null || elapsed.isNegative()) throw new IllegalArgumentException("elapsed must be >= 0");
    }
}
