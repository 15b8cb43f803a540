package io.herald.plugin.authfile;

import io.herald.api.auth.AuthContext;
import io.herald.api.auth.AuthResult;
import io.herald.api.auth.Authenticator;
import io.herald.api.auth.ScramCredential;
import jakarta.inject.Inject;

import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Authenticates the users of the {@link UserDatabase}: the identity is the user's address (any case). A user
 * the file does not list is {@link AuthResult.UnknownUser} (the next authenticator is asked). Aliases that lead
 * to a user are addresses that user may send as.
 */
public final class FileAuthenticator implements Authenticator {

    private final UserDatabase users;

    @Inject
    public FileAuthenticator(UserDatabase users) {
        this.users = users;
    }

    @Override
    public int priority() {
        return 50;
    }

    @Override
    public AuthResult verifyPassword(String identity, char[] password, AuthContext context) {
        Optional<ScramCredential> c = users.user(identity);
        if (c.isEmpty()) return AuthResult.unknownUser();
        return c.get().matches(password) ? AuthResult.authenticated(c.get().principal()) : AuthResult.failed("wrong password");
    }

    @Override
    public Optional<ScramCredential> scramCredential(String identity, AuthContext context) {
        return users.user(identity);
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
