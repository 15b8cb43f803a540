package io.herald.testkit;

import io.herald.api.mailbox.Folders;
import io.herald.api.mailbox.MailboxException;
import io.herald.api.mailbox.MailboxStore;
import io.herald.api.mailbox.StoredMessage;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * One local mailbox of the server under test, read through the active {@link MailboxStore} (the same API an IMAP
 * plugin uses). Every read first waits until the server's queue is idle, so that a message accepted over SMTP just
 * before has been delivered (or bounced) by the time it is looked for.
 */
public final class Mailbox {

    /**
     * One stored message.
     *
     * @param uid    its UID in the folder
     * @param flags  its flags and keywords ({@code \Seen}, {@code $Junk}, ...)
     * @param bytes  the stored bytes, exactly as delivered (with the trace fields the server added)
     */
    public record Message(long uid, Set<String> flags, byte[] bytes) {
        public Message {
            flags = Set.copyOf(flags);
            bytes = bytes.clone();
        }

        @Override
        public byte[] bytes() {
            return bytes.clone();
        }

        /** The message as text (ISO-8859-1: every byte one character, nothing lost). */
        public String text() {
            return new String(bytes, StandardCharsets.ISO_8859_1);
        }

        /** The header section, up to the first empty line. */
        public String headerSection() {
            String t = text();
            int end = t.indexOf("\r\n\r\n");
            return end < 0 ? t : t.substring(0, end + 2);
        }

        /** The first value of a header field (case-insensitive name, unfolded, trimmed). */
        public Optional<String> header(String name) {
            List<String> all = headers(name);
            return all.isEmpty() ? Optional.empty() : Optional.of(all.get(0));
        }

        /** Every value of a header field, in order (case-insensitive name, unfolded, trimmed). */
        public List<String> headers(String name) {
            List<String> out = new ArrayList<>();
            String prefix = name.toLowerCase(Locale.ROOT) + ":";
            String current = null;
            for (String line : headerSection().split("\r\n")) {
                if (!line.isEmpty() && (line.charAt(0) == ' ' || line.charAt(0) == '\t')) {
                    if (current != null) current += " " + line.trim();
                    continue;
                }
                if (current != null) out.add(current.trim());
                current = line.toLowerCase(Locale.ROOT).startsWith(prefix) ? line.substring(prefix.length()) : null;
            }
            if (current != null) out.add(current.trim());
            return out;
        }
    }

    private final HeraldExtension herald;
    private final String address;

    Mailbox(HeraldExtension herald, String address) {
        this.herald = herald;
        this.address = address.toLowerCase(Locale.ROOT);
    }

    public String address() {
        return address;
    }

    /** True when the store has this mailbox. */
    public boolean exists() {
        return store().exists(address);
    }

    /** The messages in INBOX, in UID order, once the queue is idle. */
    public List<Message> inbox() {
        return messages(Folders.INBOX);
    }

    /** The messages in Junk (where the spam verdict puts spam), once the queue is idle. */
    public List<Message> junk() {
        return messages(Folders.JUNK);
    }

    /** The messages in a folder, in UID order, once the queue is idle. */
    public List<Message> messages(String folder) {
        herald.awaitIdle();
        MailboxStore store = store();
        try {
            List<Message> out = new ArrayList<>();
            for (StoredMessage m : store.list(address, folder)) {
                var content = store.content(address, folder, m.uid())
                        .orElseThrow(() -> new IllegalStateException("message " + m.uid() + " of " + address + "/" + folder + " is listed but has no content"));
                try (InputStream in = content.open()) {
                    out.add(new Message(m.uid(), m.flags(), in.readAllBytes()));
                }
            }
            return out;
        } catch (MailboxException e) {
            throw new IllegalStateException("cannot read " + address + "/" + folder + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private MailboxStore store() {
        return herald.server().mailboxStore();
    }

    @Override
    public String toString() {
        return "Mailbox[" + address + "]";
    }
}
