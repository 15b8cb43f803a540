package io.herald.api.mailbox;

/** A mailbox operation that cannot be done: no such mailbox or folder, a quota exceeded, a full disk. */
public class MailboxException extends Exception {

    /** Whether trying again later may succeed (e.g. a full disk) or not (e.g. no such mailbox). */
    private final boolean temporary;

    public MailboxException(String message, boolean temporary) {
        super(message);
        this.temporary = temporary;
    }

    public MailboxException(String message, boolean temporary, Throwable cause) {
        super(message, cause);
        this.temporary = temporary;
    }

    public boolean isTemporary() {
        return temporary;
    }
}
