package io.herald.testkit.sample;

import io.herald.api.mail.MessageContent;
import io.herald.api.mailbox.Delivery;
import io.herald.api.mailbox.Folders;
import io.herald.api.mailbox.MailboxException;
import io.herald.api.mailbox.MailboxStore;
import io.herald.api.mailbox.StoredMessage;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** A small store in memory for the test kit's own tests (the real one, mailbox-lucene, depends on the test kit). */
public final class MemoryStore implements MailboxStore {

    private record Stored(StoredMessage meta, byte[] bytes) { }

    private final Map<String, Map<String, List<Stored>>> boxes = new TreeMap<>();
    private final Map<String, String> keys = new LinkedHashMap<>();

    @Override public synchronized boolean exists(String mailbox) { return boxes.containsKey(mailbox); }

    @Override public synchronized void create(String mailbox) {
        boxes.computeIfAbsent(mailbox, k -> {
            Map<String, List<Stored>> f = new TreeMap<>();
            Folders.DEFAULTS.forEach(n -> f.put(n, new ArrayList<>()));
            return f;
        });
    }

    @Override public synchronized List<String> mailboxes() { return List.copyOf(boxes.keySet()); }

    @Override public synchronized List<String> folders(String mailbox) throws MailboxException {
        return List.copyOf(box(mailbox).keySet());
    }

    @Override public synchronized StoredMessage deliver(Delivery d) throws MailboxException {
        create(d.mailbox());
        List<Stored> f = box(d.mailbox()).get(d.folder());
        for (Stored s : f) if (d.deliveryKey().equals(keys.get(d.mailbox() + "/" + d.folder() + "/" + s.meta.uid()))) return s.meta;
        byte[] bytes;
        try (InputStream in = d.content().open()) {
            bytes = in.readAllBytes();
        } catch (IOException e) {
            throw new MailboxException(e.toString(), true);
        }
        StoredMessage m = new StoredMessage(d.mailbox(), d.folder(), 1, f.size() + 1, bytes.length, d.internalDate(),
                d.flags(), "", "", "");
        f.add(new Stored(m, bytes));
        keys.put(d.mailbox() + "/" + d.folder() + "/" + m.uid(), d.deliveryKey());
        return m;
    }

    @Override public synchronized List<StoredMessage> list(String mailbox, String folder) throws MailboxException {
        return box(mailbox).getOrDefault(folder, List.of()).stream().map(Stored::meta).toList();
    }

    @Override public synchronized Optional<MessageContent> content(String mailbox, String folder, long uid) throws MailboxException {
        return box(mailbox).getOrDefault(folder, List.of()).stream().filter(s -> s.meta.uid() == uid)
                .map(s -> MessageContent.of(s.bytes)).findFirst();
    }

    private Map<String, List<Stored>> box(String mailbox) throws MailboxException {
        Map<String, List<Stored>> b = boxes.get(mailbox);
        if (b == null) throw new MailboxException("no mailbox " + mailbox, false);
        return b;
    }
}
