package io.herald.api.mailbox;

/** How {@link MailboxStore#storeFlags} changes flags: IMAP STORE {@code +FLAGS}, {@code -FLAGS}, {@code FLAGS}. */
public enum FlagOp { ADD, REMOVE, REPLACE }
