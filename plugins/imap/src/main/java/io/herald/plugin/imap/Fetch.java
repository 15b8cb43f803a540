package io.herald.plugin.imap;

import io.herald.api.mailbox.FlagOp;
import io.herald.api.mailbox.Flags;
import io.herald.api.mailbox.MailboxException;
import io.herald.api.mailbox.StoredMessage;
import io.herald.api.mailbox.UidSet;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * FETCH data items (RFC 3501 §6.4.5): parsed once per command, then answered per message. Message octets are read
 * only when an item needs them (ENVELOPE, BODY, BODYSTRUCTURE, sections), and a section is the stored octets
 * exactly. BODY[...] (not .PEEK), RFC822 and RFC822.TEXT set \Seen in a read-write mailbox, and the new FLAGS are
 * returned with them.
 */
final class Fetch {

    /** One requested item. */
    sealed interface Item {
        record Simple(String name) implements Item { }   // FLAGS UID INTERNALDATE RFC822.SIZE ENVELOPE BODY BODYSTRUCTURE

        /** BODY[section]<partial>, BODY.PEEK[...], RFC822, RFC822.HEADER, RFC822.TEXT. */
        record Section(String responseName, int[] path, String text, List<String> fields, long origin, long count,
                       boolean setsSeen) implements Item { }
    }

    private final List<Item> items;
    private final boolean needsContent;
    private final boolean setsSeen;

    private Fetch(List<Item> items) {
        this.items = items;
        boolean content = false, seen = false;
        for (Item i : items) {
            if (i instanceof Item.Section sec) {
                content = true;
                seen |= sec.setsSeen();
            } else if (i instanceof Item.Simple si && (si.name().equals("ENVELOPE") || si.name().startsWith("BODY"))) {
                content = true;
            }
        }
        this.needsContent = content;
        this.setsSeen = seen;
    }

    static Fetch parse(Args a, boolean uid) throws Args.Bad {
        List<Item> items = new ArrayList<>();
        if (uid) items.add(new Item.Simple("UID"));   // UID FETCH always returns UID (RFC 3501 §6.4.8)
        if (a.tryChar('(')) {
            do {
                item(a, items);
            } while (a.more());
            a.expect(')');
        } else {
            String w = a.peekWord().toUpperCase(Locale.ROOT);
            if (w.contains("[")) w = "";
            switch (w) {
                case "ALL" -> { a.atom(); macro(items, "FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE"); }
                case "FAST" -> { a.atom(); macro(items, "FLAGS", "INTERNALDATE", "RFC822.SIZE"); }
                case "FULL" -> { a.atom(); macro(items, "FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODY"); }
                default -> item(a, items);
            }
        }
        return new Fetch(items);
    }

    private static void macro(List<Item> items, String... names) {
        for (String n : names) items.add(new Item.Simple(n));
    }

    private static void item(Args a, List<Item> items) throws Args.Bad {
        String name = a.fetchAtt().toUpperCase(Locale.ROOT);
        switch (name) {
            case "FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODYSTRUCTURE" -> items.add(new Item.Simple(name));
            case "UID" -> { if (!items.contains(new Item.Simple("UID"))) items.add(new Item.Simple("UID")); }
            case "RFC822" -> items.add(new Item.Section("RFC822", new int[0], null, List.of(), -1, -1, true));
            case "RFC822.HEADER" -> items.add(new Item.Section("RFC822.HEADER", new int[0], "HEADER", List.of(), -1, -1, false));
            case "RFC822.TEXT" -> items.add(new Item.Section("RFC822.TEXT", new int[0], "TEXT", List.of(), -1, -1, true));
            case "BODY", "BODY.PEEK" -> {
                if (a.peek() != '[') {
                    if (name.equals("BODY.PEEK")) throw new Args.Bad("BODY.PEEK needs a section");
                    items.add(new Item.Simple("BODY"));
                    return;
                }
                items.add(section(a, !name.equals("BODY.PEEK")));
            }
            default -> throw new Args.Bad("Unknown FETCH item " + name);
        }
    }

    /** [section]<origin.count> after BODY or BODY.PEEK. */
    private static Item.Section section(Args a, boolean setsSeen) throws Args.Bad {
        a.expect('[');
        List<Integer> path = new ArrayList<>();
        String text = null;
        List<String> fields = List.of();
        StringBuilder echo = new StringBuilder();
        if (a.peek() != ']') {
            while (a.peek() >= '0' && a.peek() <= '9') {
                long n = a.number();
                if (n < 1 || n > 10_000) throw new Args.Bad("Invalid section part number");
                path.add((int) n);
                echo.append(n);
                if (!a.tryChar('.')) break;
                echo.append('.');
            }
            if (a.peek() != ']') {
                String t = a.atom().toUpperCase(Locale.ROOT);
                switch (t) {
                    case "HEADER", "TEXT" -> text = t;
                    case "MIME" -> {
                        if (path.isEmpty()) throw new Args.Bad("MIME needs a part number");
                        text = t;
                    }
                    case "HEADER.FIELDS", "HEADER.FIELDS.NOT" -> {
                        text = t;
                        a.sp();
                        a.expect('(');
                        List<String> f = new ArrayList<>();
                        do {
                            f.add(a.astring().toUpperCase(Locale.ROOT));
                        } while (a.more());
                        a.expect(')');
                        fields = f;
                    }
                    default -> throw new Args.Bad("Unknown section " + t);
                }
                echo.append(t);
                if (!fields.isEmpty()) echo.append(" (").append(String.join(" ", fields)).append(')');
            } else if (echo.length() > 0 && echo.charAt(echo.length() - 1) == '.') {
                throw new Args.Bad("Invalid section");
            }
        }
        a.expect(']');
        long origin = -1, count = -1;
        if (a.tryChar('<')) {
            origin = a.number();
            a.expect('.');
            count = a.number();
            if (count == 0) throw new Args.Bad("Partial length must be positive");
            a.expect('>');
        }
        int[] p = path.stream().mapToInt(Integer::intValue).toArray();
        return new Item.Section("BODY[" + echo + "]", p, text, fields, origin, count, setsSeen);
    }

    void run(ImapSession s, Commands commands, List<Long> uids) throws MailboxException {
        if (uids.isEmpty()) return;
        Selected sel = s.selected;
        List<StoredMessage> messages = s.store().list(s.user, sel.folder, UidSet.of(uids));
        Set<Long> seenNow = new HashSet<>();
        if (setsSeen && !sel.readOnly) {
            List<Long> unseen = new ArrayList<>();
            for (StoredMessage m : messages) if (!m.hasFlag(Flags.SEEN)) unseen.add(m.uid());
            if (!unseen.isEmpty()) {
                for (StoredMessage m : s.store().storeFlags(s.user, sel.folder, UidSet.of(unseen), FlagOp.ADD, Set.of(Flags.SEEN))) {
                    sel.flags(m.uid(), m.flags());
                    seenNow.add(m.uid());
                }
            }
        }
        boolean flagsAsked = items.contains(new Item.Simple("FLAGS"));
        for (StoredMessage m : messages) {
            int msn = sel.msn(m.uid());
            if (msn == 0) continue;   // not in this session's view yet (reported with EXISTS later)
            byte[] data = null;
            MimePart root = null;
            if (needsContent) {
                data = commands.content(sel.folder, m.uid());
                if (data == null) continue;   // expunged meanwhile by another session (RFC 2180 §4.1.2)
                root = MimePart.parse(data);
            }
            Response r = new Response().raw("* " + msn + " FETCH (");
            boolean first = true;
            for (Item item : items) {
                if (!first) r.sp();
                first = false;
                if (item instanceof Item.Simple si) {
                    switch (si.name()) {
                        case "UID" -> r.raw("UID " + m.uid());
                        case "FLAGS" -> r.raw("FLAGS " + commands.flagList(sel, m.uid()));
                        case "INTERNALDATE" -> r.raw("INTERNALDATE \"" + Commands.internalDate(m.internalDate()) + "\"");
                        case "RFC822.SIZE" -> r.raw("RFC822.SIZE " + data(data, m));
                        case "ENVELOPE" -> { r.raw("ENVELOPE "); Structure.envelope(root, r); }
                        case "BODY" -> { r.raw("BODY "); Structure.body(root, false, r); }
                        case "BODYSTRUCTURE" -> { r.raw("BODYSTRUCTURE "); Structure.body(root, true, r); }
                        default -> throw new IllegalStateException(si.name());
                    }
                } else {
                    Item.Section sec = (Item.Section) item;
                    Slice slice = range(root, sec);
                    int from = slice.from(), len = slice.to() - slice.from();
                    String name = sec.responseName();
                    if (sec.origin() >= 0) {
                        long o = Math.min(sec.origin(), len);
                        from += (int) o;
                        len = (int) Math.min(len - o, sec.count());
                        name = name + "<" + sec.origin() + ">";
                    }
                    r.raw(name).sp().literal(slice.data(), from, len);
                }
            }
            if (seenNow.contains(m.uid()) && !flagsAsked) r.raw(" FLAGS " + commands.flagList(sel, m.uid()));
            r.raw(")").crlf();
            s.send(r);
        }
    }

    private static long data(byte[] data, StoredMessage m) {
        return data != null ? data.length : m.size();
    }

    /** Octets {@code [from, to)} of {@code data}. */
    record Slice(byte[] data, int from, int to) { }

    /** The octets of a section (RFC 3501 §6.4.5); an absent part is empty. */
    static Slice range(MimePart root, Item.Section sec) {
        byte[] d = root.data;
        MimePart cur = root;
        for (int n : sec.path()) {
            cur = child(root, cur, n);
            if (cur == null) return new Slice(d, 0, 0);
        }
        String text = sec.text();
        boolean top = sec.path().length == 0;
        if (text == null) return top ? new Slice(d, root.start, root.end) : new Slice(d, cur.bodyStart, cur.end);
        if (text.equals("MIME")) return new Slice(d, cur.start, cur.bodyStart);
        MimePart msg = top ? root : cur.message;
        if (msg == null) return new Slice(d, 0, 0);
        return switch (text) {
            case "HEADER" -> new Slice(d, msg.start, msg.bodyStart);
            case "TEXT" -> new Slice(d, msg.bodyStart, msg.end);
            default -> {
                byte[] f = fieldsBytes(msg, sec.fields(), text.equals("HEADER.FIELDS.NOT"));
                yield new Slice(f, 0, f.length);
            }
        };
    }

    private static MimePart child(MimePart root, MimePart p, int n) {
        if (p != root && p.isMessage()) p = p.message;
        if (p.isMultipart() && !p.parts.isEmpty()) return n <= p.parts.size() ? p.parts.get(n - 1) : null;
        return n == 1 ? p : null;
    }

    /** HEADER.FIELDS (names) / HEADER.FIELDS.NOT: the matching header lines as sent (folded lines whole) and the blank line. */
    static byte[] fieldsBytes(MimePart msg, List<String> names, boolean not) {
        Set<String> wanted = new HashSet<>();
        for (String n : names) wanted.add(n.toLowerCase(Locale.ROOT));
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        byte[] d = msg.data;
        int i = msg.start;
        int end = msg.bodyStart;
        boolean include = false;
        while (i < end) {
            int le = i;
            while (le < end && d[le] != '\n') le++;
            int next = Math.min(le + 1, end);
            int len = le - i;
            if (len == 0 || (len == 1 && d[i] == '\r')) break;   // the blank line
            if (d[i] == ' ' || d[i] == '\t') {
                if (include) out.write(d, i, next - i);
            } else {
                int colon = i;
                while (colon < le && d[colon] != ':') colon++;
                String name = new String(d, i, colon - i, StandardCharsets.US_ASCII).trim().toLowerCase(Locale.ROOT);
                include = wanted.contains(name) != not;
                if (include) out.write(d, i, next - i);
            }
            i = next;
        }
        out.write('\r');
        out.write('\n');
        return out.toByteArray();
    }
}
