package io.herald.plugin.sse;

import com.google.inject.Singleton;
import io.herald.api.plugin.HeraldPlugin;

/**
 * Contributes {@link SseHub}: a notification sink (events into per-user histories and open streams) and an HTTP
 * endpoint on the core's listener ({@code GET /events}); passwords are checked by the core's
 * {@link io.herald.api.auth.Logins} (bound by the host). Configuration: {@code conf/notify-sse.cfg}.
 */
public final class NotifySsePlugin extends HeraldPlugin {
    @Override
    protected void configure() {
        bind(SseHub.class).in(Singleton.class);
        notificationSink().to(SseHub.class);
        httpEndpoint().to(SseHub.class);
    }
}
