package io.herald.launcher;

import io.herald.api.mail.MessageContent;
import io.herald.api.mailbox.Delivery;
import io.herald.api.mailbox.Folders;
import io.herald.api.mailbox.MailboxException;
import io.herald.api.mailbox.MailboxStore;
import io.herald.api.mailbox.StoredMessage;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/** A small store for the launcher's tests. */
class InMemoryStore implements MailboxStore {

    private final Map<String, Map<String, List<Object[]>>> boxes = new TreeMap<>();

    @Override public boolean exists(String mailbox) { return boxes.containsKey(mailbox); }

    @Override public void create(String mailbox) {
        boxes.computeIfAbsent(mailbox, k -> {
            Map<String, List<Object[]>> f = new TreeMap<>();
            Folders.DEFAULTS.forEach(n -> f.put(n, new ArrayList<>()));
            return f;
        });
    }

    @Override public List<String> mailboxes() { return List.copyOf(boxes.keySet()); }

    @Override public List<String> folders(String mailbox) throws MailboxException {
        if (!exists(mailbox)) throw new MailboxException("no mailbox " + mailbox, false);
        return List.copyOf(boxes.get(mailbox).keySet());
    }

    @Override public StoredMessage deliver(Delivery d) throws MailboxException {
        List<Object[]> f = boxes.get(d.mailbox()).get(d.folder());
        byte[] bytes;
        try (InputStream in = d.content().open()) {
            bytes = in.readAllBytes();
        } catch (IOException e) {
            throw new MailboxException(e.toString(), true);
        }
        StoredMessage m = new StoredMessage(d.mailbox(), d.folder(), 1, f.size() + 1, bytes.length, d.internalDate(),
                Set.of(), "someone@example.org", "subject " + (f.size() + 1), "");
        f.add(new Object[] {m, bytes});
        return m;
    }

    @Override public List<StoredMessage> list(String mailbox, String folder) {
        return boxes.get(mailbox).get(folder).stream().map(o -> (StoredMessage) o[0]).toList();
    }

    @Override public Optional<MessageContent> content(String mailbox, String folder, long uid) {
        return boxes.get(mailbox).get(folder).stream().filter(o -> ((StoredMessage) o[0]).uid() == uid)
                .map(o -> MessageContent.of((byte[]) o[1])).findFirst();
    }
}
