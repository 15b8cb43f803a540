package io.herald.plugin.webhook;

import io.herald.api.mailbox.MailboxEvent;
import io.herald.api.notify.TestEvent;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;

/**
 * The {@code ntfy} format: a title and a text per event (the {@code json} format is {@link io.herald.api.notify.EventJson}).
 */
final class EventBody {

    private EventBody() { }

    /** The ntfy title: one line, for the notification's heading. */
    static String title(MailboxEvent e) {
        if (e instanceof MailboxEvent.MessageAdded a) {
            if (TestEvent.isTest(e)) return "Herald test notification for " + e.mailbox();
            return (a.junk() ? "New spam for " : "New mail for ") + e.mailbox();
        }
        if (e instanceof MailboxEvent.FlagsChanged) return "Flags changed in " + e.mailbox();
        if (e instanceof MailboxEvent.Expunged) return "Message deleted in " + e.mailbox();
        return "Folder " + ((MailboxEvent.FolderChanged) e).change().name().toLowerCase(Locale.ROOT) + " in " + e.mailbox();
    }

    /** The ntfy message: plain text lines. */
    static String text(MailboxEvent e) {
        if (e instanceof MailboxEvent.MessageAdded a) {
            return "From: " + oneLine(a.from()) + "\nSubject: " + oneLine(a.subject()) + "\nFolder: " + a.folder();
        }
        if (e instanceof MailboxEvent.FlagsChanged f) return "Folder " + f.folder() + ", UID " + f.uid() + ": " + new java.util.TreeSet<>(f.flags());
        if (e instanceof MailboxEvent.Expunged x) return "Folder " + x.folder() + ", UID " + x.uid();
        MailboxEvent.FolderChanged c = (MailboxEvent.FolderChanged) e;
        return c.newName() == null ? c.folder() : c.folder() + " -> " + c.newName();
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("[\\r\\n\\t]+", " ");
    }

    /**
     * A header value as ASCII: as it is when it is printable ASCII, else an RFC 2047 encoded-word
     * ({@code =?UTF-8?B?...?=}), which ntfy decodes.
     */
    static String headerValue(String s) {
        String one = oneLine(s);
        if (one.chars().allMatch(c -> c >= 0x20 && c < 0x7f)) return one;
        return "=?UTF-8?B?" + Base64.getEncoder().encodeToString(one.getBytes(StandardCharsets.UTF_8)) + "?=";
    }

}
