package io.herald.api.mailbox;

import java.util.List;
import java.util.Locale;

/**
 * IMAP flags (RFC 3501 §2.3.2, RFC 9051). System flags start with a backslash; anything else is a keyword.
 * Flags compare case-insensitively; stores keep the spelling first used.
 */
public final class Flags {
    public static final String SEEN = "\\Seen";
    public static final String ANSWERED = "\\Answered";
    public static final String FLAGGED = "\\Flagged";
    public static final String DELETED = "\\Deleted";
    public static final String DRAFT = "\\Draft";
    /** Session flag in IMAP4rev1, gone from IMAP4rev2; never stored. */
    public static final String RECENT = "\\Recent";
    /** Keyword marking spam (RFC 5788 registry; clients also use {@code Junk}). */
    public static final String JUNK = "$Junk";
    public static final String NOT_JUNK = "$NotJunk";
    public static final String FORWARDED = "$Forwarded";

    /** The system flags a store keeps (the IMAP PERMANENTFLAGS besides keywords). */
    public static final List<String> SYSTEM = List.of(SEEN, ANSWERED, FLAGGED, DELETED, DRAFT);

    private Flags() { }

    /** The canonical spelling of a system flag (any case in), or the keyword unchanged. */
    public static String canonical(String flag) {
        for (String s : SYSTEM) if (s.equalsIgnoreCase(flag)) return s;
        return flag;
    }

    /** The case-folded form used to compare flags. */
    public static String key(String flag) {
        return flag.toLowerCase(Locale.ROOT);
    }

    /** Whether this is a valid flag: a system flag, or an IMAP atom as keyword. \Recent and unknown system flags are not. */
    public static boolean isValid(String flag) {
        if (flag == null || flag.isEmpty() || flag.length() > 200) return false;
        if (flag.charAt(0) == '\\') return SYSTEM.stream().anyMatch(s -> s.equalsIgnoreCase(flag));
        for (int i = 0; i < flag.length(); i++) {
            char c = flag.charAt(i);
            if (c <= 0x20 || c >= 0x7f || "(){%*\"\\]".indexOf(c) >= 0) return false;
        }
        return true;
    }
}
