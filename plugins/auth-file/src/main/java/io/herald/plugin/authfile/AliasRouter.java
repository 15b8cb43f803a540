package io.herald.plugin.authfile;

import io.herald.api.mail.Envelope;
import io.herald.api.mail.MailAddress;
import io.herald.api.routing.Route;
import io.herald.api.routing.Router;
import jakarta.inject.Inject;

/**
 * Routes an alias of the user file ({@code alias postmaster@herald.test -> elsa@herald.test}) to the mailbox it
 * leads to. Priority 5: before route-local (10), which would refuse the alias as an unknown mailbox.
 */
public final class AliasRouter implements Router {

    private final UserDatabase users;

    @Inject
    public AliasRouter(UserDatabase users) {
        this.users = users;
    }

    @Override
    public int priority() {
        return 5;
    }

    @Override
    public Route route(Envelope envelope, MailAddress recipient) {
        return users.resolveAlias(recipient.canonical()).<Route>map(Route::local).orElse(Route.pass());
    }
}
