package io.herald.plugin.imap;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** ENVELOPE and BODY/BODYSTRUCTURE of a {@link MimePart} (RFC 3501 §7.4.2). */
final class Structure {

    private Structure() { }

    /** {@code (date subject from sender reply-to to cc bcc in-reply-to message-id)}; sender and reply-to default to from. */
    static void envelope(MimePart m, Response r) {
        r.raw("(").noctets(m.header("Date")).sp().noctets(m.header("Subject")).sp();
        String from = m.header("From");
        addresses(from, r);
        r.sp();
        addresses(m.header("Sender") != null ? m.header("Sender") : from, r);
        r.sp();
        addresses(m.header("Reply-To") != null ? m.header("Reply-To") : from, r);
        r.sp();
        addresses(m.header("To"), r);
        r.sp();
        addresses(m.header("Cc"), r);
        r.sp();
        addresses(m.header("Bcc"), r);
        r.sp().noctets(m.header("In-Reply-To")).sp().noctets(m.header("Message-ID")).raw(")");
    }

    /** An address list as {@code ((name adl mailbox host) ...)}, or NIL when absent or empty. */
    static void addresses(String value, Response r) {
        List<String[]> list = value == null ? List.of() : parseAddresses(value);
        if (list.isEmpty()) {
            r.raw("NIL");
            return;
        }
        r.raw("(");
        for (String[] a : list) {
            r.raw("(").noctets(a[0]).raw(" NIL ").noctets(a[1]).sp().noctets(a[2]).raw(")");
        }
        r.raw(")");
    }

    /**
     * A lenient RFC 5322 address-list parser: each element is {name, mailbox, host}; a group is a start marker
     * {null, groupname, null} and an end marker {null, null, null} (RFC 3501's group syntax in ENVELOPE).
     */
    static List<String[]> parseAddresses(String value) {
        List<String[]> out = new ArrayList<>();
        List<String> items = splitTopLevel(value, ',');
        for (int k = 0; k < items.size(); k++) {
            String item = items.get(k).trim();
            int colon = topLevelIndex(item, ':');
            int lt = topLevelIndex(item, '<');
            int at = topLevelIndex(item, '@');
            if (colon >= 0 && (lt < 0 || colon < lt) && (at < 0 || colon < at)) {   // "group: a, b;" (RFC 5322 §3.4)
                out.add(new String[] {null, unquote(item.substring(0, colon).trim()), null});
                item = item.substring(colon + 1).trim();
                boolean endsGroup = item.endsWith(";");
                if (endsGroup) item = item.substring(0, item.length() - 1).trim();
                if (!item.isEmpty()) mailbox(item, out);
                if (endsGroup) out.add(new String[] {null, null, null});
                continue;
            }
            boolean endsGroup = item.endsWith(";");
            if (endsGroup) item = item.substring(0, item.length() - 1).trim();
            if (!item.isEmpty()) mailbox(item, out);
            if (endsGroup) out.add(new String[] {null, null, null});
        }
        return out;
    }

    private static void mailbox(String item, List<String[]> out) {
        String name = null;
        String spec;
        int lt = topLevelIndex(item, '<');
        if (lt >= 0) {
            int gt = item.indexOf('>', lt);
            spec = item.substring(lt + 1, gt < 0 ? item.length() : gt).trim();
            String n = stripComments(item.substring(0, lt)).trim();
            if (!n.isEmpty()) name = unquote(n);
            int route = spec.lastIndexOf(':');   // obsolete source route @a,@b:user@host
            if (route >= 0) spec = spec.substring(route + 1);
        } else {
            String comment = comment(item);
            spec = stripComments(item).trim();
            if (comment != null && !comment.isBlank()) name = comment.trim();
        }
        if (spec.isEmpty() && name == null) return;
        int at = spec.lastIndexOf('@');
        String local = at < 0 ? spec : spec.substring(0, at);
        String host = at < 0 ? null : spec.substring(at + 1);
        out.add(new String[] {name, unquote(local), host});
    }

    private static String unquote(String s) {
        if (s.length() >= 2 && s.startsWith("\"") && s.endsWith("\"")) {
            StringBuilder b = new StringBuilder();
            for (int i = 1; i < s.length() - 1; i++) {
                char c = s.charAt(i);
                if (c == '\\' && i + 1 < s.length() - 1) c = s.charAt(++i);
                b.append(c);
            }
            return b.toString();
        }
        return s;
    }

    private static String comment(String s) {
        int open = s.indexOf('(');
        int close = s.lastIndexOf(')');
        return open >= 0 && close > open ? s.substring(open + 1, close) : null;
    }

    private static String stripComments(String s) {
        StringBuilder b = new StringBuilder();
        int depth = 0;
        boolean quoted = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length()) {
                if (depth == 0) b.append(c).append(s.charAt(i + 1));
                i++;
                continue;
            }
            if (c == '"' && depth == 0) quoted = !quoted;
            if (!quoted && c == '(') { depth++; continue; }
            if (!quoted && c == ')' && depth > 0) { depth--; continue; }
            if (depth == 0) b.append(c);
        }
        return b.toString();
    }

    /** Splits on a separator outside quotes, comments and angle brackets. */
    static List<String> splitTopLevel(String s, char sep) {
        List<String> out = new ArrayList<>();
        int depth = 0;
        boolean quoted = false, angle = false;
        StringBuilder cur = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length()) { cur.append(c).append(s.charAt(++i)); continue; }
            if (c == '"' && depth == 0) quoted = !quoted;
            else if (!quoted && c == '(') depth++;
            else if (!quoted && c == ')' && depth > 0) depth--;
            else if (!quoted && depth == 0 && c == '<') angle = true;
            else if (!quoted && depth == 0 && c == '>') angle = false;
            if (c == sep && !quoted && depth == 0 && !angle) {
                out.add(cur.toString());
                cur.setLength(0);
                continue;
            }
            cur.append(c);
        }
        if (!cur.toString().isBlank()) out.add(cur.toString());
        return out;
    }

    private static int topLevelIndex(String s, char target) {
        int depth = 0;
        boolean quoted = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\') { i++; continue; }
            if (c == '"' && depth == 0) { quoted = !quoted; continue; }
            if (quoted) continue;
            if (c == '(') depth++;
            else if (c == ')' && depth > 0) depth--;
            else if (depth == 0 && c == target) return i;
        }
        return -1;
    }

    /** BODY (extensible false) or BODYSTRUCTURE (true) of a part. */
    static void body(MimePart p, boolean extensible, Response r) {
        if (p.isMultipart() && !p.parts.isEmpty()) {
            r.raw("(");
            for (MimePart c : p.parts) body(c, extensible, r);
            r.sp().octets(p.subtype.toUpperCase(Locale.ROOT));
            if (extensible) {
                r.sp();
                params(p.params, r);
                r.sp();
                disposition(p, r);
                r.sp().noctets(p.header("Content-Language")).sp().noctets(p.header("Content-Location"));
            }
            r.raw(")");
            return;
        }
        // a multipart without parts is described as its own type with an empty body text (lenient)
        r.raw("(").octets(p.type.toUpperCase(Locale.ROOT)).sp().octets(p.subtype.toUpperCase(Locale.ROOT)).sp();
        params(p.params, r);
        r.sp().noctets(p.header("Content-ID")).sp().noctets(p.header("Content-Description")).sp();
        String cte = p.header("Content-Transfer-Encoding");
        r.octets(cte == null ? "7BIT" : cte.trim().toUpperCase(Locale.ROOT)).sp().raw(Integer.toString(p.bodySize()));
        if (p.isMessage()) {
            r.sp();
            envelope(p.message, r);
            r.sp();
            body(p.message, extensible, r);
            r.sp().raw(Integer.toString(p.bodyLines()));
        } else if (p.type.equals("text")) {
            r.sp().raw(Integer.toString(p.bodyLines()));
        }
        if (extensible) {
            r.sp().noctets(p.header("Content-MD5")).sp();
            disposition(p, r);
            r.sp().noctets(p.header("Content-Language")).sp().noctets(p.header("Content-Location"));
        }
        r.raw(")");
    }

    private static void params(Map<String, String> params, Response r) {
        if (params.isEmpty()) {
            r.raw("NIL");
            return;
        }
        r.raw("(");
        boolean first = true;
        for (Map.Entry<String, String> e : params.entrySet()) {
            if (!first) r.sp();
            first = false;
            r.octets(e.getKey().toUpperCase(Locale.ROOT)).sp().octets(e.getValue());
        }
        r.raw(")");
    }

    private static void disposition(MimePart p, Response r) {
        String d = p.header("Content-Disposition");
        String[] t = p.disposition();
        if (d == null || t == null) {
            r.raw("NIL");
            return;
        }
        r.raw("(").octets(t[0].toUpperCase(Locale.ROOT)).sp();
        params(MimePart.params(d), r);
        r.raw(")");
    }
}
