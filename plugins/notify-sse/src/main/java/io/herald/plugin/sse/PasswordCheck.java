package io.herald.plugin.sse;

import java.net.InetSocketAddress;

/** Checks a user's password for HTTP Basic on the event stream, through the core's authentication. */
interface PasswordCheck {

    sealed interface Result {
        /** The password is right; {@code user} is the authenticated principal. */
        record Accepted(String user) implements Result { }

        /** Wrong credentials, or not allowed here (no TLS): 401. */
        record Refused(String reason) implements Result { }

        /** Try again later (locked out, authenticator unavailable): 503. */
        record Unavailable(String reason) implements Result { }
    }

    /**
     * @param secure whether the request came over TLS (plaintext passwords follow {@code auth.cfg})
     */
    Result check(String user, char[] password, InetSocketAddress remote, boolean secure);
}
