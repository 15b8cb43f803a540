package io.herald.api.mailbox;

import java.time.Instant;
import java.util.Set;

/**
 * A message in a mailbox folder: its identity and the summary the index keeps.
 *
 * @param mailbox     canonical mailbox address
 * @param folder      folder name
 * @param uidValidity the folder's UIDVALIDITY
 * @param uid         the message's UID in the folder (strictly ascending in arrival order)
 * @param size        size in octets
 * @param internalDate time of arrival
 * @param flags       system flags ({@code \Seen}, ...) and keywords
 * @param from        the decoded From header, or empty
 * @param subject     the decoded Subject header, or empty
 * @param messageId   the Message-ID header, or empty
 */
public record StoredMessage(String mailbox, String folder, long uidValidity, long uid, long size, Instant internalDate,
                            Set<String> flags, String from, String subject, String messageId) {
    public StoredMessage {
        flags = Set.copyOf(flags);
    }
}
