package io.herald.launcher;

import io.herald.api.mail.MailAddress;
import io.herald.api.mail.MessageContent;
import io.herald.api.mailbox.MailboxException;
import io.herald.api.mailbox.MailboxStore;
import io.herald.api.mailbox.Reindexed;
import io.herald.api.mailbox.StoredMessage;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.List;

/** What {@code herald mailbox list|show} do, on any {@link MailboxStore}. */
final class MailboxTool {

    private static final DateTimeFormatter DATE = DateTimeFormatter.ISO_LOCAL_DATE_TIME.withZone(ZoneOffset.UTC);

    private MailboxTool() { }

    /** The canonical mailbox for an address as typed, or a clear failure. */
    static String mailbox(MailboxStore store, String address) throws Main.CommandFailedException {
        int at = address.lastIndexOf('@');
        if (at <= 0 || at == address.length() - 1) {
            throw new Main.CommandFailedException("'" + address + "' is not a mail address (expected user@domain)");
        }
        String mailbox = new MailAddress(address.substring(0, at), address.substring(at + 1)).canonical();
        if (!store.exists(mailbox)) throw new Main.CommandFailedException("no mailbox " + mailbox);
        return mailbox;
    }

    static List<StoredMessage> messages(MailboxStore store, String address, String folder)
            throws Main.CommandFailedException, MailboxException {
        String mailbox = mailbox(store, address);
        if (!store.folders(mailbox).contains(folder)) {
            throw new Main.CommandFailedException("mailbox " + mailbox + " has no folder " + folder
                    + " (it has " + String.join(", ", store.folders(mailbox)) + ")");
        }
        return store.list(mailbox, folder);
    }

    static void list(MailboxStore store, String address, String folder, PrintStream out)
            throws Main.CommandFailedException, MailboxException {
        List<StoredMessage> messages = messages(store, address, folder);
        int n = 0;
        for (StoredMessage m : messages) {
            n++;
            out.printf("%4d %6d %s %9d  %-32s %s%n", n, m.uid(),
                    DATE.format(m.internalDate().truncatedTo(ChronoUnit.SECONDS)), m.size(),
                    oneLine(m.from()), oneLine(m.subject()));
        }
    }

    static void show(MailboxStore store, String address, String folder, int n, OutputStream out)
            throws Main.CommandFailedException, MailboxException, IOException {
        List<StoredMessage> messages = messages(store, address, folder);
        if (n < 1 || n > messages.size()) {
            throw new Main.CommandFailedException("no message " + n + " in " + folder + " of " + address
                    + " (it has " + messages.size() + ")");
        }
        StoredMessage m = messages.get(n - 1);
        MessageContent content = store.content(m.mailbox(), m.folder(), m.uid())
                .orElseThrow(() -> new Main.CommandFailedException("message " + n + " (uid " + m.uid() + ") vanished"));
        try (InputStream in = content.open()) {
            in.transferTo(out);
        }
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("[\\r\\n\\t]+", " ");
    }

    /**
     * Rebuilds the store's index and prints what it did; a store held by a running server, or one that cannot
     * reindex, is a clear failure (exit 1).
     */
    static Reindexed reindex(MailboxStore store, PrintStream out) throws Main.CommandFailedException, MailboxException {
        Reindexed done;
        try {
            done = store.reindex();
        } catch (io.herald.api.mailbox.StoreInUseException e) {
            throw new Main.CommandFailedException("cannot reindex while the server runs: " + e.getMessage()
                    + "; stop the server first");
        } catch (UnsupportedOperationException e) {
            throw new Main.CommandFailedException("the active mailbox store (" + store + ") has no index to rebuild");
        }
        out.printf(java.util.Locale.ROOT, "reindexed %d messages in %d mailboxes in %.1f s%n", done.messages(),
                done.mailboxes(), done.elapsed().toMillis() / 1000.0);
        return done;
    }
}
