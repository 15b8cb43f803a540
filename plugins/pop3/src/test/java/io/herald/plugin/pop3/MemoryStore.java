package io.herald.plugin.pop3;

import io.herald.api.mail.MessageContent;
import io.herald.api.mailbox.Delivery;
import io.herald.api.mailbox.FlagOp;
import io.herald.api.mailbox.Flags;
import io.herald.api.mailbox.Folders;
import io.herald.api.mailbox.MailboxException;
import io.herald.api.mailbox.MailboxStore;
import io.herald.api.mailbox.StoredMessage;
import io.herald.api.mailbox.UidSet;

import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small in-memory store with the API's semantics for the INBOX (UIDs ascending, flags, UID EXPUNGE of \Deleted),
 * for the protocol tests of this plugin. The distribution's tests run POP3 over the real Lucene store.
 */
final class MemoryStore implements MailboxStore {

    static final long UIDVALIDITY = 1234567;

    private record Msg(long uid, byte[] bytes, Set<String> flags) { }

    private final Map<String, TreeMap<Long, Msg>> boxes = new ConcurrentHashMap<>();
    private final Map<String, Long> nextUid = new ConcurrentHashMap<>();
    final AtomicInteger contentReads = new AtomicInteger();
    volatile boolean failExpunge;

    @Override public boolean exists(String mailbox) { return boxes.containsKey(mailbox); }

    @Override public synchronized void create(String mailbox) {
        boxes.computeIfAbsent(mailbox, k -> new TreeMap<>());
        nextUid.putIfAbsent(mailbox, 1L);
    }

    @Override public List<String> mailboxes() { return new ArrayList<>(new java.util.TreeSet<>(boxes.keySet())); }

    @Override public List<String> folders(String mailbox) { return List.of(Folders.INBOX); }

    @Override public synchronized StoredMessage deliver(Delivery d) throws MailboxException {
        byte[] b;
        try (InputStream in = d.content().open()) {
            b = in.readAllBytes();
        } catch (IOException e) {
            throw new MailboxException("read", true, e);
        }
        return add(d.mailbox(), b);
    }

    synchronized StoredMessage add(String mailbox, byte[] bytes) throws MailboxException {
        TreeMap<Long, Msg> box = box(mailbox);
        long uid = nextUid.merge(mailbox, 1L, Long::sum) - 1;
        box.put(uid, new Msg(uid, bytes.clone(), new HashSet<>()));
        return summary(mailbox, box.get(uid));
    }

    synchronized void flag(String mailbox, long uid, String flag) throws MailboxException {
        box(mailbox).get(uid).flags().add(flag);
    }

    synchronized void remove(String mailbox, long uid) throws MailboxException {
        box(mailbox).remove(uid);
    }

    synchronized List<Long> uids(String mailbox) throws MailboxException {
        return new ArrayList<>(box(mailbox).keySet());
    }

    @Override public synchronized List<StoredMessage> list(String mailbox, String folder) throws MailboxException {
        List<StoredMessage> out = new ArrayList<>();
        for (Msg m : box(mailbox).values()) out.add(summary(mailbox, m));
        return out;
    }

    @Override public synchronized Optional<MessageContent> content(String mailbox, String folder, long uid) throws MailboxException {
        Msg m = box(mailbox).get(uid);
        contentReads.incrementAndGet();
        return m == null ? Optional.empty() : Optional.of(MessageContent.of(m.bytes()));
    }

    @Override public synchronized List<StoredMessage> storeFlags(String mailbox, String folder, UidSet uids, FlagOp op, Set<String> flags)
            throws MailboxException {
        List<StoredMessage> out = new ArrayList<>();
        for (Msg m : box(mailbox).values()) {
            if (!uids.contains(m.uid())) continue;
            if (op == FlagOp.ADD) m.flags().addAll(flags);
            else if (op == FlagOp.REMOVE) m.flags().removeAll(flags);
            out.add(summary(mailbox, m));
        }
        return out;
    }

    @Override public synchronized List<Long> expunge(String mailbox, String folder, UidSet uids) throws MailboxException {
        if (failExpunge) throw new MailboxException(MailboxException.Reason.STORAGE, "disk full", true);
        List<Long> out = new ArrayList<>();
        var it = box(mailbox).values().iterator();
        while (it.hasNext()) {
            Msg m = it.next();
            if (m.flags().contains(Flags.DELETED) && (uids == null || uids.contains(m.uid()))) {
                out.add(m.uid());
                it.remove();
            }
        }
        return out;
    }

    private TreeMap<Long, Msg> box(String mailbox) throws MailboxException {
        TreeMap<Long, Msg> box = boxes.get(mailbox);
        if (box == null) throw new MailboxException(MailboxException.Reason.NO_SUCH_MAILBOX, "no mailbox " + mailbox, false);
        return box;
    }

    private static StoredMessage summary(String mailbox, Msg m) {
        return new StoredMessage(mailbox, Folders.INBOX, UIDVALIDITY, m.uid(), m.bytes().length, Instant.EPOCH,
                m.flags(), "", "", "");
    }
}
