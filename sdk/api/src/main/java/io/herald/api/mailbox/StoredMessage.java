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
 * @param modSeq      the message's mod-sequence (RFC 7162): bumped to the folder's new HIGHESTMODSEQ by every change
 *                    of its flags; 0 from stores that do not keep one
 */
public record StoredMessage(String mailbox, String folder, long uidValidity, long uid, long size, Instant internalDate,
                            Set<String> flags, String from, String subject, String messageId, long modSeq) {
    public StoredMessage {
        flags = Set.copyOf(flags);
    }

    /** Without a mod-sequence (API 1.0). */
    public StoredMessage(String mailbox, String folder, long uidValidity, long uid, long size, Instant internalDate,
                         Set<String> flags, String from, String subject, String messageId) {
        this(mailbox, folder, uidValidity, uid, size, internalDate, flags, from, subject, messageId, 0);
    }

    /** Whether a flag is set, compared case-insensitively. */
    public boolean hasFlag(String flag) {
        for (String f : flags) if (f.equalsIgnoreCase(flag)) return true;
        return false;
    }
}
