package io.herald.api.mailbox;

import java.util.Set;

/**
 * What IMAP LIST, STATUS and SELECT report about a folder.
 *
 * @param name          full name, levels separated by {@link Folders#SEPARATOR}; INBOX always spelled {@code INBOX}
 * @param attributes    RFC 6154 special use ({@code \Sent}, {@code \Drafts}, {@code \Trash}, {@code \Junk}) and
 *                      {@code \HasChildren} or {@code \HasNoChildren}
 * @param subscribed    whether the folder is subscribed (LSUB, LIST (SUBSCRIBED))
 * @param uidValidity   UIDVALIDITY: changes only when UIDs of the name can no longer be trusted (folder deleted and recreated)
 * @param uidNext       UIDNEXT: the UID the next message will get (strictly greater than every UID ever given in this folder)
 * @param highestModSeq HIGHESTMODSEQ (RFC 7162): greater than or equal to every message's mod-sequence, and bumped by
 *                      every change in the folder, expunges included
 * @param messages      number of messages
 * @param unseen        messages without {@code \Seen}
 * @param deleted       messages with {@code \Deleted}
 * @param size          total octets of the messages (STATUS SIZE, RFC 8438)
 */
public record FolderInfo(String name, Set<String> attributes, boolean subscribed, long uidValidity, long uidNext,
                         long highestModSeq, int messages, int unseen, int deleted, long size) {
    public FolderInfo {
        attributes = Set.copyOf(attributes);
    }
}
