package io.herald.api.mailbox;

import java.time.Instant;
import java.util.Set;

/** A change in a mailbox, published by the {@link MailboxStore} to notification sinks and IMAP sessions. */
public sealed interface MailboxEvent {

    String mailbox();

    Instant time();

    /** A message arrived (delivered, appended, copied or moved in). */
    record MessageAdded(String mailbox, String folder, long uidValidity, long uid, String from, String subject,
                        long size, boolean junk, Instant time) implements MailboxEvent { }

    /** The flags of a message changed. */
    record FlagsChanged(String mailbox, String folder, long uid, Set<String> flags, Instant time) implements MailboxEvent {
        public FlagsChanged { flags = Set.copyOf(flags); }
    }

    /** A message was expunged from a folder. */
    record Expunged(String mailbox, String folder, long uid, Instant time) implements MailboxEvent { }

    /** A folder was created, deleted or renamed. */
    record FolderChanged(String mailbox, String folder, Change change, String newName, Instant time) implements MailboxEvent {
        public enum Change { CREATED, DELETED, RENAMED }
    }
}
