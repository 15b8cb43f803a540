package io.herald.api.notify;

import io.herald.api.mailbox.MailboxEvent;

import java.util.Locale;

/**
 * The JSON form of a {@link MailboxEvent}, one format for every notification plugin (webhook bodies, Server-Sent
 * Events {@code data:} lines), so that a receiver parses one thing:
 *
 * <pre>{@code
 * {"event":"message.added","user":"olaf@herald.test","folder":"INBOX","uidValidity":1733290000,"uid":7,
 *  "from":"elsa@herald.test","subject":"Snow","size":2048,"spam":false,"time":"2026-12-04T05:40:00.123Z","test":false}
 * }</pre>
 *
 * {@code spam} is the spam verdict the message was filed by (true: it went to Junk or carries {@code $Junk});
 * {@code test} is true for a {@link TestEvent}. The other kinds: {@code flags.changed} (with {@code uid} and
 * {@code flags}, sorted), {@code message.expunged} (with {@code uid}), {@code folder.created}, {@code folder.deleted},
 * {@code folder.renamed} (with {@code newName}). Fields may be added in later versions; receivers should ignore
 * fields they do not know.
 */
public final class EventJson {

    private EventJson() { }

    /** The {@code event} field: {@code message.added}, {@code flags.changed}, ... */
    public static String kind(MailboxEvent e) {
        if (e instanceof MailboxEvent.MessageAdded) return "message.added";
        if (e instanceof MailboxEvent.FlagsChanged) return "flags.changed";
        if (e instanceof MailboxEvent.Expunged) return "message.expunged";
        MailboxEvent.FolderChanged f = (MailboxEvent.FolderChanged) e;
        return "folder." + f.change().name().toLowerCase(Locale.ROOT);
    }

    /** The event as one line of JSON (RFC 8259), UTF-8 when encoded. */
    public static String of(MailboxEvent e) {
        StringBuilder b = new StringBuilder(256).append('{');
        field(b, "event", kind(e));
        field(b, "user", e.mailbox());
        if (e instanceof MailboxEvent.MessageAdded a) {
            field(b, "folder", a.folder());
            number(b, "uidValidity", a.uidValidity());
            number(b, "uid", a.uid());
            field(b, "from", a.from());
            field(b, "subject", a.subject());
            number(b, "size", a.size());
            b.append("\"spam\":").append(a.junk()).append(',');
        } else if (e instanceof MailboxEvent.FlagsChanged f) {
            field(b, "folder", f.folder());
            number(b, "uid", f.uid());
            b.append("\"flags\":[");
            String sep = "";
            for (String flag : new java.util.TreeSet<>(f.flags())) {
                b.append(sep);
                quote(b, flag);
                sep = ",";
            }
            b.append("],");
        } else if (e instanceof MailboxEvent.Expunged x) {
            field(b, "folder", x.folder());
            number(b, "uid", x.uid());
        } else if (e instanceof MailboxEvent.FolderChanged c) {
            field(b, "folder", c.folder());
            if (c.newName() != null) field(b, "newName", c.newName());
        }
        field(b, "time", e.time().toString());
        b.append("\"test\":").append(TestEvent.isTest(e));
        return b.append('}').toString();
    }

    private static void field(StringBuilder b, String name, String value) {
        quote(b, name);
        b.append(':');
        if (value == null) b.append("null");
        else quote(b, value);
        b.append(',');
    }

    private static void number(StringBuilder b, String name, long value) {
        quote(b, name);
        b.append(':').append(value).append(',');
    }

    /** A JSON string (RFC 8259 §7). */
    private static void quote(StringBuilder b, String s) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20 || c == '\u2028' || c == '\u2029') b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
                }
            }
        }
        b.append('"');
    }
}
