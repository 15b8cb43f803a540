package io.herald.plugin.webhook;

import com.google.inject.Singleton;
import io.herald.api.plugin.HeraldPlugin;

/** Contributes {@link WebhookSink}. Configuration: {@code conf/notify-webhook.cfg}. */
public final class NotifyWebhookPlugin extends HeraldPlugin {
    @Override
    protected void configure() {
        bind(WebhookSink.class).in(Singleton.class);
        notificationSink().to(WebhookSink.class);
    }
}
