package io.herald.api.mailbox;

import java.util.List;

/** Names of the folders every mailbox has (RFC 3501 INBOX and the RFC 6154 special-use folders). */
public final class Folders {
    public static final String INBOX = "INBOX";
    public static final String SENT = "Sent";
    public static final String DRAFTS = "Drafts";
    public static final String TRASH = "Trash";
    public static final String JUNK = "Junk";

    /** The hierarchy separator of folder names ({@code Work/Projects}). */
    public static final char SEPARATOR = '/';

    /** The folders created with every new mailbox. */
    public static final List<String> DEFAULTS = List.of(INBOX, SENT, DRAFTS, TRASH, JUNK);

    private Folders() { }

    /** The RFC 6154 special-use attribute of a default folder name, or null. */
    public static String specialUse(String folder) {
        return switch (folder) {
            case SENT -> "\\Sent";
            case DRAFTS -> "\\Drafts";
            case TRASH -> "\\Trash";
            case JUNK -> "\\Junk";
            default -> null;
        };
    }

    /** INBOX in any case (and as the first level of a name, {@code inbox/x}) spelled {@code INBOX}; other names unchanged. */
    public static String normalize(String folder) {
        if (folder == null) return null;
        if (folder.equalsIgnoreCase(INBOX)) return INBOX;
        if (folder.length() > INBOX.length() && folder.charAt(INBOX.length()) == SEPARATOR
                && folder.regionMatches(true, 0, INBOX, 0, INBOX.length())) {
            return INBOX + folder.substring(INBOX.length());
        }
        return folder;
    }
}
