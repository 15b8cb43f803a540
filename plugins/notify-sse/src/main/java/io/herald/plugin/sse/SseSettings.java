package io.herald.plugin.sse;

import io.herald.api.config.Configuration;
import io.herald.api.notify.DeliveryPolicy;
import io.herald.api.notify.EventFilter;

import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * {@code conf/notify-sse.cfg} (every key with its default in the distribution's file).
 *
 * @param path       the HTTP path of the stream (key {@code path}, default {@code /events})
 * @param history    events kept per user for {@code Last-Event-ID} (key {@code history}, default 100)
 * @param keepAlive  a comment line when nothing else was sent for this long (key {@code keepAlive}, default 15 s)
 * @param maxStreams streams open at the same time, all users (key {@code maxStreams}, default 32; each holds a thread
 *                   of the HTTP listener, whose {@code http.cfg: threads} is 64)
 * @param backlog    events waiting for one slow stream before it is closed (key {@code streamQueue}, default 256;
 *                   the client reconnects with {@code Last-Event-ID} and gets them from the history)
 * @param retry      the reconnection delay told to clients ({@code retry:} field; key {@code retry}, default 3 s)
 * @param tokens     token → user ({@code token.<user> = <token>})
 * @param passwords  whether HTTP Basic with the account's password is accepted (key {@code password}, default true;
 *                   checked by the core's {@code Logins}: over HTTPS, over plain HTTP only where {@code auth.cfg}
 *                   allows plaintext passwords)
 * @param passwordChecks password checks waiting for the core at the same time (key {@code passwordChecks}, default 8):
 *                   each holds a listener thread for up to the throttle's delay; more get 503 with {@code Retry-After}
 * @param filter     users, folders, events
 * @param policy     the sink's queue (retries are not needed: in-process)
 */
record SseSettings(String path, int history, Duration keepAlive, int maxStreams, int backlog, Duration retry,
                   Map<String, String> tokens, boolean passwords, int passwordChecks, EventFilter filter, DeliveryPolicy policy) {

    static SseSettings from(Configuration c) {
        String path = c.get("path", "/events").trim();
        if (!path.startsWith("/") || path.endsWith("/") || path.startsWith("/admin") || path.equals("/health") || path.equals("/metrics")
                || path.chars().anyMatch(ch -> ch <= ' ')) {
            throw c.invalid("path", path, "a path starting with / and not ending with it, outside /admin, /health, /metrics");
        }
        Map<String, String> tokens = new HashMap<>();
        for (String key : c.keys("token.")) {
            String user = key.substring("token.".length()).toLowerCase(Locale.ROOT);
            String token = c.get(key, "").trim();
            if (user.indexOf('@') <= 0) throw c.invalid(key, "(hidden)", "token.<user@domain> = <token>");
            if (token.length() < 16) throw c.invalid(key, "(hidden)", "a token of at least 16 characters");
            if (tokens.put(token, user) != null) throw c.invalid(key, "(hidden)", "a token no other user has");
        }
        Duration keepAlive = c.getDuration("keepAlive", Duration.ofSeconds(15));
        if (keepAlive.isZero() || keepAlive.isNegative()) throw c.invalid("keepAlive", c.get("keepAlive", ""), "a positive duration");
        Duration retry = c.getDuration("retry", Duration.ofSeconds(3));
        DeliveryPolicy p = DeliveryPolicy.from(c);
        return new SseSettings(path, c.getInt("history", 100, 0, 100_000), keepAlive, c.getInt("maxStreams", 32, 1, 10_000),
                c.getInt("streamQueue", 256, 1, 100_000), retry, Map.copyOf(tokens), c.getBoolean("password", true),
                c.getInt("passwordChecks", 8, 1, 1_000),
                EventFilter.from(c), new DeliveryPolicy(p.queueCapacity(), 1, p.firstRetry(), p.maxRetry(), 1));
    }
}
