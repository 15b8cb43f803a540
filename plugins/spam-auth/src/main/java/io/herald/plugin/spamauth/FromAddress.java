package io.herald.plugin.spamauth;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The domains of the addresses in a {@code From:} value (RFC 5322 §3.6.2): a mailbox-list, names and comments allowed. */
final class FromAddress {

    private FromAddress() { }

    static List<String> domains(String value) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean quoted = false;
        int depth = 0; // comment nesting
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (quoted) {
                if (c == '\\' && i + 1 < value.length()) i++;
                else if (c == '"') quoted = false;
                continue; // display names and quoted local parts never hold the domain
            }
            if (depth > 0) {
                if (c == '(') depth++;
                else if (c == ')') depth--;
                continue;
            }
            switch (c) {
                case '"' -> quoted = true;
                case '(' -> depth++;
                case ',' -> { add(out, cur.toString()); cur.setLength(0); }
                default -> cur.append(c);
            }
        }
        add(out, cur.toString());
        return out;
    }

    private static void add(List<String> out, String mailbox) {
        String m = mailbox;
        int lt = m.lastIndexOf('<');
        if (lt >= 0) {
            int gt = m.indexOf('>', lt);
            m = gt > lt ? m.substring(lt + 1, gt) : m.substring(lt + 1);
        }
        int at = m.lastIndexOf('@');
        if (at < 0) return;
        String d = m.substring(at + 1).strip().toLowerCase(Locale.ROOT);
        while (d.endsWith(".")) d = d.substring(0, d.length() - 1);
        if (!d.isEmpty() && !d.contains(" ")) out.add(d);
    }
}
