package io.herald.plugin.authfile;

import io.herald.api.config.ServerIdentity;
import io.herald.api.mailbox.MailboxException;
import io.herald.api.mailbox.MailboxStore;
import jakarta.inject.Inject;

import java.util.logging.Logger;

/**
 * Which addresses of the user file can receive mail, and the mailboxes of its users.
 *
 * <p>A user of the file ({@code herald user add}) in a local domain gets a mailbox in the active store (with the
 * store's default folders: INBOX and the special-use folders) the first time the server needs it: a delivery to
 * the user or to an alias leading to it (checked at RCPT time), or a successful login. The file can be changed
 * while the server runs ({@link UserDatabase#snapshot()} reads it again), so there is no start-up list to keep in
 * step: whoever is in the file now can receive, a user removed from it cannot (its mailbox is kept), and any other
 * address relies on a mailbox existing in the store. Only the
 * {@link MailboxStore} API is used, so any store plugin works.
 *
 * <p>Stateless and thread-safe: {@link MailboxStore#create} does nothing for a mailbox that exists, so two sessions provisioning
 * the same user at once are harmless.
 */
public final class Mailboxes {

    private static final Logger log = Logger.getLogger(Mailboxes.class.getName());

    private final UserDatabase users;
    private final MailboxStore store;
    private final ServerIdentity identity;

    @Inject
    public Mailboxes(UserDatabase users, MailboxStore store, ServerIdentity identity) {
        this.users = users;
        this.store = store;
        this.identity = identity;
    }

    /**
     * Whether mail for this mailbox address can be delivered: it is a user of the file in a local domain (its
     * mailbox is created now if it has none), or it is no user removed from the file and the store has a mailbox of
     * that name (e.g. the postmaster's).
     *
     * @throws MailboxException when the store cannot create the user's mailbox
     * @throws IllegalStateException when no store is active (yet): the caller answers "try later", never "no"
     */
    public boolean canReceive(String mailbox) throws MailboxException {
        String m = UserDatabase.canonical(mailbox);
        if (provision(m)) return true;
        if (users.wasRemoved(m)) return false;   // its mailbox is kept, not its mail
        return store.exists(m);
    }

    /**
     * Creates the mailbox of a user of the file in a local domain when it has none.
     *
     * @return true when the address is such a user (its mailbox exists now), false when it is not one
     */
    public boolean provision(String address) throws MailboxException {
        String m = UserDatabase.canonical(address);
        if (users.user(m).isEmpty() || !isLocal(m)) return false;
        if (!store.exists(m)) {
            store.create(m);
            log.info("mailbox " + m + " created for the user of " + users.file());
        }
        return true;
    }

    /**
     * True when {@link #provision} and {@link #canReceive} of this address only look things up: it needs no mailbox
     * created (not a local user of the file, or the mailbox exists) and the store answers {@code exists} from memory
     * ({@link MailboxStore#existsWithoutBlocking()}). The user file is consulted as {@link UserDatabase#snapshot()}
     * does: from memory, with a look at the file's attributes at most once a second.
     */
    public boolean answersWithoutBlocking(String address) {
        String m = UserDatabase.canonical(address);
        if (users.wasRemoved(m)) return true;   // refused without asking the store
        if (!store.existsWithoutBlocking()) return false;
        return users.user(m).isEmpty() || !isLocal(m) || store.exists(m);
    }

    private boolean isLocal(String address) {
        int at = address.lastIndexOf('@');
        return at > 0 && identity.isLocal(address.substring(at + 1));
    }
}
