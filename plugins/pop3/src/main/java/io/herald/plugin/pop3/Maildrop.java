package io.herald.plugin.pop3;

import io.herald.api.mail.MessageContent;
import io.herald.api.mailbox.FlagOp;
import io.herald.api.mailbox.Flags;
import io.herald.api.mailbox.Folders;
import io.herald.api.mailbox.MailboxException;
import io.herald.api.mailbox.MailboxStore;
import io.herald.api.mailbox.StoredMessage;
import io.herald.api.mailbox.UidSet;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A user's maildrop for one POP3 session (RFC 1939 §3-§6): the INBOX as it was when the session entered the
 * TRANSACTION state. Messages are numbered 1..n in UID order; a message delivered later is not part of it (it shows
 * in the next session), and one removed meanwhile by another client (IMAP) makes RETR/TOP of it fail.
 *
 * <p>DELE only marks a message in this session; {@link #update()} (the UPDATE state, after QUIT) flags the marked
 * messages {@code \Deleted} and expunges exactly those UIDs (UID EXPUNGE, RFC 4315), so a message another client has
 * flagged {@code \Deleted} is left to that client. Not thread-safe: one session uses it at a time.
 */
final class Maildrop {

    /** One message of the snapshot; {@code size} is the CRLF octet count ({@link MessageText#size}). */
    record Entry(int number, StoredMessage message, long size) {
        /** RFC 1939 §7 UIDL: unique per message and stable across sessions: the folder's UIDVALIDITY and the UID. */
        String uniqueId() {
            return message.uidValidity() + "." + message.uid();
        }
    }

    private final MailboxStore store;
    private final String mailbox;
    private final List<Entry> entries;
    private final boolean[] deleted;

    private Maildrop(MailboxStore store, String mailbox, List<Entry> entries) {
        this.store = store;
        this.mailbox = mailbox;
        this.entries = entries;
        this.deleted = new boolean[entries.size()];
    }

    /**
     * Takes the snapshot: lists the INBOX and counts each message's octets as POP3 sends them (the sizes are cached
     * in {@code sizes}, keyed by UIDVALIDITY and UID, so a maildrop is read whole only the first time).
     */
    static Maildrop open(MailboxStore store, String mailbox, SizeCache sizes) throws MailboxException, IOException {
        List<StoredMessage> messages = store.list(mailbox, Folders.INBOX);
        List<Entry> entries = new ArrayList<>(messages.size());
        for (StoredMessage m : messages) {
            String key = mailbox + "/" + m.uidValidity() + "." + m.uid();
            Long size = sizes.get(key);
            if (size == null) {
                Optional<MessageContent> content = store.content(mailbox, Folders.INBOX, m.uid());
                if (content.isEmpty()) continue;   // expunged between list and content: not in the snapshot
                size = MessageText.size(content.get());
                sizes.put(key, size);
            }
            entries.add(new Entry(entries.size() + 1, m, size));
        }
        return new Maildrop(store, mailbox, List.copyOf(entries));
    }

    String mailbox() {
        return mailbox;
    }

    /** The message with this number, unless it is out of range or marked deleted. */
    Optional<Entry> get(int number) {
        if (number < 1 || number > entries.size() || deleted[number - 1]) return Optional.empty();
        return Optional.of(entries.get(number - 1));
    }

    /** Whether the number is in range but the message is marked deleted. */
    boolean isDeleted(int number) {
        return number >= 1 && number <= entries.size() && deleted[number - 1];
    }

    /** The messages not marked deleted, in number order. */
    List<Entry> live() {
        List<Entry> out = new ArrayList<>();
        for (Entry e : entries) if (!deleted[e.number() - 1]) out.add(e);
        return out;
    }

    int liveCount() {
        int n = 0;
        for (boolean d : deleted) if (!d) n++;
        return n;
    }

    long liveSize() {
        long total = 0;
        for (Entry e : entries) if (!deleted[e.number() - 1]) total += e.size();
        return total;
    }

    /** DELE: false when the message does not exist or is marked already. */
    boolean delete(int number) {
        if (get(number).isEmpty()) return false;
        deleted[number - 1] = true;
        return true;
    }

    /** RSET: unmarks every message. */
    void reset() {
        java.util.Arrays.fill(deleted, false);
    }

    /** The stored bytes of a message, or empty when another client removed it meanwhile. */
    Optional<MessageContent> content(Entry e) throws MailboxException {
        return store.content(mailbox, Folders.INBOX, e.message().uid());
    }

    /**
     * The UPDATE state (RFC 1939 §6): removes the messages marked deleted.
     *
     * @return how many were removed (one another client removed already is not counted)
     */
    int update() throws MailboxException {
        List<Long> uids = new ArrayList<>();
        for (Entry e : entries) if (deleted[e.number() - 1]) uids.add(e.message().uid());
        if (uids.isEmpty()) return 0;
        UidSet set = UidSet.of(uids);
        store.storeFlags(mailbox, Folders.INBOX, set, FlagOp.ADD, Set.of(Flags.DELETED));
        return store.expunge(mailbox, Folders.INBOX, set).size();
    }

    /** Remembers the POP3 octet counts of messages (they never change: a UID names the same bytes for ever). */
    static final class SizeCache {
        private final int capacity;
        private final java.util.LinkedHashMap<String, Long> map;

        SizeCache(int capacity) {
            this.capacity = capacity;
            this.map = new java.util.LinkedHashMap<>(256, 0.75f, true) {
                @Override protected boolean removeEldestEntry(java.util.Map.Entry<String, Long> eldest) {
                    return size() > SizeCache.this.capacity;
                }
            };
        }

        synchronized Long get(String key) {
            return map.get(key);
        }

        synchronized void put(String key, long size) {
            map.put(key, size);
        }
    }
}
