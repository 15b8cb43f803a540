package io.herald.api.mailbox;

import java.util.List;

/** Names of the folders every mailbox has (RFC 3501 INBOX and the RFC 6154 special-use folders). */
public final class Folders {
    public static final String INBOX = "INBOX";
    public static final String SENT = "Sent";
    public static final String DRAFTS = "Drafts";
    public static final String TRASH = "Trash";
    public static final String JUNK = "Junk";

    /** The folders created with every new mailbox. */
    public static final List<String> DEFAULTS = List.of(INBOX, SENT, DRAFTS, TRASH, JUNK);

    private Folders() { }
}
