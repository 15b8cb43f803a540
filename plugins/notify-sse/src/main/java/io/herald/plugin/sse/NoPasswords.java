package io.herald.plugin.sse;

import java.net.InetSocketAddress;

/** Used while the core offers no password service to plugins: Basic is refused, tokens work. */
final class NoPasswords implements PasswordCheck {
    @Override
    public Result check(String user, char[] password, InetSocketAddress remote, boolean secure) {
        return new Result.Refused("password logins are not available in this server; use a token (notify-sse.cfg: token.<user>)");
    }
}
