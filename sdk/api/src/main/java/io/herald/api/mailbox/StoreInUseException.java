package io.herald.api.mailbox;

/**
 * Another process (a running server) holds the store for writing, so this one may not write it now: {@link
 * MailboxStore#reindex()} from a command-line tool beside a running server. Temporary; its reason is
 * {@link Reason#READ_ONLY} (a new subclass rather than a new reason, so that switches over {@link Reason} written
 * against API 1.1 stay complete). API 1.2.
 */
public class StoreInUseException extends MailboxException {
    public StoreInUseException(String message, Throwable cause) {
        super(Reason.READ_ONLY, message, true, cause);
    }
}
