package io.herald.plugin.pop3;

import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * RFC 1939 §4: a POP3 session has exclusive access to its maildrop from the login to the end of the session. A second
 * login to a locked maildrop is answered {@code -ERR [IN-USE]} (RFC 2449 §8.1.2). The lock is this server's own: IMAP
 * sessions may read and change the same INBOX meanwhile (the POP3 session works on its snapshot). Thread-safe.
 */
final class MaildropLocks {

    private final Set<String> locked = ConcurrentHashMap.newKeySet();

    /** Takes the lock of a mailbox; false when another session holds it. */
    boolean tryLock(String mailbox) {
        return locked.add(key(mailbox));
    }

    void unlock(String mailbox) {
        if (mailbox != null) locked.remove(key(mailbox));
    }

    boolean isLocked(String mailbox) {
        return locked.contains(key(mailbox));
    }

    private static String key(String mailbox) {
        return mailbox.toLowerCase(Locale.ROOT);
    }
}
