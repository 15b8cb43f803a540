package io.herald.plugin.authfile;

import io.herald.api.mail.MessageContent;
import io.herald.api.mailbox.Delivery;
import io.herald.api.mailbox.Folders;
import io.herald.api.mailbox.MailboxException;
import io.herald.api.mailbox.MailboxStore;
import io.herald.api.mailbox.StoredMessage;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** Mailboxes and their folders in memory, for the unit tests of provisioning (no messages). */
final class SmallStore implements MailboxStore {

    private final Map<String, List<String>> boxes = new TreeMap<>();
    int creates;
    /** What {@link #existsWithoutBlocking()} answers (an in-memory store can say so; a database-backed one could not). */
    volatile boolean answersFromMemory = true;

    @Override public boolean existsWithoutBlocking() { return answersFromMemory; }

    @Override public synchronized boolean exists(String mailbox) { return boxes.containsKey(mailbox); }

    @Override public synchronized void create(String mailbox) {
        if (boxes.putIfAbsent(mailbox, Folders.DEFAULTS) == null) creates++;
    }

    @Override public synchronized List<String> mailboxes() { return List.copyOf(boxes.keySet()); }

    @Override public synchronized List<String> folders(String mailbox) throws MailboxException {
        List<String> f = boxes.get(mailbox);
        if (f == null) throw new MailboxException(MailboxException.Reason.NO_SUCH_MAILBOX, "no such mailbox: " + mailbox, false);
        return f;
    }

    @Override public StoredMessage deliver(Delivery delivery) { throw new UnsupportedOperationException("deliver"); }

    @Override public List<StoredMessage> list(String mailbox, String folder) { return List.of(); }

    @Override public Optional<MessageContent> content(String mailbox, String folder, long uid) { return Optional.empty(); }
}
