package io.herald.plugin.authfile;

import io.herald.api.mail.Envelope;
import io.herald.api.mail.MailAddress;
import io.herald.api.mailbox.MailboxException;
import io.herald.api.routing.Route;
import io.herald.api.routing.Router;
import jakarta.inject.Inject;

import java.util.Optional;

/**
 * Routes an alias of the user file ({@code alias postmaster@herald.test -> elsa@herald.test}) to the mailbox it
 * leads to, and makes sure a user of the file has a mailbox before route-local looks for it. Priority 5: before
 * route-local (10), which would refuse the alias, or a user without a mailbox yet, as an unknown mailbox.
 *
 * <p>An alias whose target cannot receive ({@link Mailboxes#canReceive}: neither a user of the file in a local
 * domain nor an existing mailbox) is refused here with {@code 550 5.1.1} (RFC 3463: bad destination mailbox
 * address): accepting it would only turn into a bounce later, sent to an envelope sender that may be forged.
 *
 * <p>A user removed from the file ({@code herald user remove}; {@link UserDatabase#wasRemoved}) is refused the same
 * way, as an unknown user, although its mailbox is kept in the store (where route-local would find it): removing a
 * user stops its mail, deleting its mail is left to the operator. {@code postmaster} is never refused here
 * (RFC 5321 §4.5.1: route-local takes it to the postmaster's mailbox).
 *
 * <p>Creating a user's missing mailbox is the one side effect, and it is idempotent: routing the same recipient
 * again (at delivery time) finds the mailbox and changes nothing.
 */
public final class AliasRouter implements Router {

    /** RFC 5321 §4.2.2 / RFC 3463: the mailbox does not exist. */
    static final int MAILBOX_UNAVAILABLE = 550;
    static final String BAD_DESTINATION_MAILBOX = "5.1.1";

    private final UserDatabase users;
    private final Mailboxes mailboxes;

    @Inject
    public AliasRouter(UserDatabase users, Mailboxes mailboxes) {
        this.users = users;
        this.mailboxes = mailboxes;
    }

    @Override
    public int priority() {
        return 5;
    }

    @Override
    public Route route(Envelope envelope, MailAddress recipient) {
        var target = users.resolveAlias(recipient.canonical());
        try {
            if (target.isEmpty()) {
                if (users.wasRemoved(recipient.canonical()) && !recipient.isPostmaster()) return noSuchUser(recipient);
                mailboxes.provision(recipient.canonical()); // a user added while the server runs: route-local finds it
                return Route.pass();
            }
            if (mailboxes.canReceive(target.get())) return Route.local(target.get());
        } catch (MailboxException e) {
            // fail closed (Router contract): 451 4.3.0 at RCPT, a deferred delivery later
            throw new IllegalStateException("cannot create the mailbox for <" + recipient + ">: " + e.getMessage(), e);
        }
        return noSuchUser(recipient);
    }

    private static Route noSuchUser(MailAddress recipient) {
        return Route.refuse(MAILBOX_UNAVAILABLE, BAD_DESTINATION_MAILBOX, "<" + recipient + ">: no such user here");
    }

    /**
     * The same answer on the network thread, unless a mailbox would have to be created for it (a user of the file
     * receiving for the first time) or the store cannot say without blocking whether one exists: then empty, and
     * {@link #route} runs on the hook executor.
     */
    @Override
    public Optional<Route> routeWithoutBlocking(Envelope envelope, MailAddress recipient) {
        String mailbox = users.resolveAlias(recipient.canonical()).orElse(recipient.canonical());
        return mailboxes.answersWithoutBlocking(mailbox) ? Optional.of(route(envelope, recipient)) : Optional.empty();
    }
}
