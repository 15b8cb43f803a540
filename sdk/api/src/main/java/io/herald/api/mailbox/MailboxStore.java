package io.herald.api.mailbox;

import io.herald.api.mail.MessageContent;

import java.util.List;
import java.util.Optional;

/**
 * Stores and indexes the messages of local mailboxes. One store is active at a time.
 *
 * <p>Contract: {@link #deliver} returns only when the message is on stable storage; it is idempotent per
 * {@link Delivery#deliveryKey()} (a re-delivery after a crash returns the message stored the first time).
 * Every change is published as a {@link MailboxEvent} through the {@link MailboxEventPublisher} the core
 * offers. Methods may be called from many threads at once.
 */
public interface MailboxStore {

    /** True when a mailbox exists for this canonical address. */
    boolean exists(String mailbox);

    /** Creates a mailbox with the {@link Folders#DEFAULTS default folders}; does nothing when it exists. */
    void create(String mailbox) throws MailboxException;

    /** The canonical addresses of all mailboxes, sorted. */
    List<String> mailboxes();

    /** The folders of a mailbox, sorted with INBOX first. */
    List<String> folders(String mailbox) throws MailboxException;

    /** Stores one message durably; see the class comment for idempotence. */
    StoredMessage deliver(Delivery delivery) throws MailboxException;

    /** The messages of a folder in UID order. */
    List<StoredMessage> list(String mailbox, String folder) throws MailboxException;

    /** The stored bytes of one message, exactly as delivered. */
    Optional<MessageContent> content(String mailbox, String folder, long uid) throws MailboxException;
}
