package io.herald.distribution.testplugins.hangingrouter;

import io.herald.api.mail.Envelope;
import io.herald.api.mail.MailAddress;
import io.herald.api.plugin.HeraldPlugin;
import io.herald.api.routing.Route;
import io.herald.api.routing.Router;

/** A test plugin whose router (first in the chain) never answers. */
public final class HangingRouterPlugin extends HeraldPlugin {
    @Override
    protected void configure() {
        router().to(Hanging.class);
    }

    public static final class Hanging implements Router {
        @Override
        public int priority() {
            return 1;
        }

        @Override
        public Route route(Envelope envelope, MailAddress recipient) {
            try {
                Thread.sleep(Long.MAX_VALUE);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return Route.pass();
        }
    }
}
