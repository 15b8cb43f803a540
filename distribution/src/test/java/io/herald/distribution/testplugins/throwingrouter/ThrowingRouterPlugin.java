package io.herald.distribution.testplugins.throwingrouter;

import io.herald.api.mail.Envelope;
import io.herald.api.mail.MailAddress;
import io.herald.api.plugin.HeraldPlugin;
import io.herald.api.routing.Route;
import io.herald.api.routing.Router;

/** A test plugin whose router (first in the chain) throws on every call. */
public final class ThrowingRouterPlugin extends HeraldPlugin {
    @Override
    protected void configure() {
        router().to(Throwing.class);
    }

    public static final class Throwing implements Router {
        @Override
        public int priority() {
            return 1;
        }

        @Override
        public Route route(Envelope envelope, MailAddress recipient) {
            throw new IllegalStateException("test plugin: router always throws");
        }
    }
}
