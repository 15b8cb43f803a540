package io.herald.api.mailbox;

/** A mailbox operation that cannot be done: no such mailbox or folder, a quota exceeded, a full disk. */
public class MailboxException extends Exception {

    /** Why an operation failed, for protocol layers that map failures to reply codes (SMTP 452 4.2.2, IMAP [OVERQUOTA]). */
    public enum Reason {
        /** No mailbox with this address (IMAP [NONEXISTENT], SMTP 550 5.1.1). */
        NO_SUCH_MAILBOX,
        /** No folder with this name in the mailbox (IMAP [NONEXISTENT]). */
        NO_SUCH_FOLDER,
        /** The folder to create, or the target of a rename, exists (IMAP [ALREADYEXISTS]). */
        ALREADY_EXISTS,
        /** Not a valid mailbox or folder name, or an operation not allowed on it, e.g. deleting INBOX (IMAP [CANNOT]). */
        NOT_ALLOWED,
        /** The mailbox's quota would be exceeded (SMTP 452 4.2.2, IMAP [OVERQUOTA]). Temporary. */
        QUOTA_EXCEEDED,
        /** The store is open read-only or closed. */
        READ_ONLY,
        /** Storage failed (disk full, I/O error); usually temporary (IMAP [SERVERBUG], SMTP 451 4.3.0). */
        STORAGE,
        /** Anything else. */
        OTHER
    }

    /** Whether trying again later may succeed (e.g. a full disk) or not (e.g. no such mailbox). */
    private final boolean temporary;
    private final Reason reason;

    public MailboxException(String message, boolean temporary) {
        this(Reason.OTHER, message, temporary, null);
    }

    public MailboxException(String message, boolean temporary, Throwable cause) {
        this(Reason.OTHER, message, temporary, cause);
    }

    public MailboxException(Reason reason, String message, boolean temporary) {
        this(reason, message, temporary, null);
    }

    public MailboxException(Reason reason, String message, boolean temporary, Throwable cause) {
        super(message, cause);
        this.reason = reason == null ? Reason.OTHER : reason;
        this.temporary = temporary;
    }

    public boolean isTemporary() {
        return temporary;
    }

    public Reason reason() {
        return reason;
    }

    /** True when the failure is an exceeded quota (SMTP 452 4.2.2). */
    public boolean isQuota() {
        return reason == Reason.QUOTA_EXCEEDED;
    }
}
