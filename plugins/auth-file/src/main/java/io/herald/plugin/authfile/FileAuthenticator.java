package io.herald.plugin.authfile;

import io.herald.api.auth.AuthContext;
import io.herald.api.auth.AuthResult;
import io.herald.api.auth.Authenticator;
import io.herald.api.auth.ScramCredential;
import io.herald.api.mailbox.MailboxException;
import jakarta.inject.Inject;

import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Authenticates the users of the {@link UserDatabase}: the identity is the user's address (any case). A user
 * the file does not list is {@link AuthResult.UnknownUser} (the next authenticator is asked). Aliases that lead
 * to a user are addresses that user may send as. A user's mailbox is created at its first login when it has none
 * ({@link Mailboxes}).
 */
public final class FileAuthenticator implements Authenticator {

    private static final java.util.logging.Logger log = java.util.logging.Logger.getLogger(FileAuthenticator.class.getName());

    private final UserDatabase users;
    private final Mailboxes mailboxes;

    @Inject
    public FileAuthenticator(UserDatabase users, Mailboxes mailboxes) {
        this.users = users;
        this.mailboxes = mailboxes;
    }

    @Override
    public int priority() {
        return 50;
    }

    @Override
    public AuthResult verifyPassword(String identity, char[] password, AuthContext context) {
        Optional<ScramCredential> c = users.user(identity);
        if (c.isEmpty()) return AuthResult.unknownUser();
        if (!c.get().matches(password)) return AuthResult.failed("wrong password");
        provision(c.get().principal());
        return AuthResult.authenticated(c.get().principal());
    }

    /** The user's credential; its mailbox is made sure of first, since the core checks the proof without us. */
    @Override
    public Optional<ScramCredential> scramCredential(String identity, AuthContext context) {
        Optional<ScramCredential> c = users.user(identity);
        c.ifPresent(u -> provision(u.principal()));
        return c;
    }

    /**
     * A user who can log in finds INBOX and the special-use folders (IMAP, POP3): the mailbox is created on the first
     * login when it has none. Failing that is logged and the login still succeeds (the password was right); the
     * protocol then answers that the mailbox is missing, and the next login tries again.
     */
    private void provision(String principal) {
        try {
            mailboxes.provision(principal);
        } catch (MailboxException | RuntimeException e) {
            log.warning("cannot create the mailbox of " + principal + " at login: " + e);
        }
    }

    @Override
    public Set<String> addressesOf(String principal) {
        Set<String> out = new TreeSet<>();
        String p = UserDatabase.canonical(principal);
        for (String alias : users.snapshot().aliases().keySet()) {
            if (users.resolveAlias(alias).map(p::equals).orElse(false)) out.add(alias);
        }
        return out;
    }
}
