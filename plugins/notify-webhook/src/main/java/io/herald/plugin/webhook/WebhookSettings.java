package io.herald.plugin.webhook;

import io.herald.api.config.Configuration;
import io.herald.api.notify.DeliveryPolicy;
import io.herald.api.notify.EventFilter;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * {@code conf/notify-webhook.cfg} (every key with its default in the distribution's file).
 *
 * @param url            where to POST; null: not configured, the sink accepts nothing
 * @param format         {@code json} (signed JSON) or {@code ntfy} (plain text, title in the {@code Title} header)
 * @param secret         the HMAC-SHA256 key for {@code X-Herald-Signature}; empty: no signature
 * @param connectTimeout how long to wait for the TCP/TLS connection
 * @param timeout        how long to wait for the answer to one POST
 * @param replay         keep events not delivered at shutdown and send them after the next start
 * @param headers        extra request headers ({@code header.<Name> = value}, e.g. ntfy's {@code Authorization})
 * @param filter         users, folders, events ({@link EventFilter})
 * @param policy         queue, attempts, retry.first, retry.max, concurrency (default 4) ({@link DeliveryPolicy})
 */
record WebhookSettings(URI url, Format format, byte[] secret, Duration connectTimeout, Duration timeout, boolean replay,
                       Map<String, String> headers, EventFilter filter, DeliveryPolicy policy) {

    enum Format { JSON, NTFY }

    /** POSTs in flight at the same time (key {@code concurrency}): a receiver taking 100 ms still takes 40 events/s. */
    static final int DEFAULT_CONCURRENCY = 4;

    /** Headers the HTTP client sets itself, or that would contradict the body. */
    private static final java.util.Set<String> RESERVED = java.util.Set.of("content-length", "content-type", "host",
            "connection", "upgrade", "expect", "transfer-encoding", "x-herald-signature");

    static WebhookSettings from(Configuration c) {
        URI url = null;
        String u = c.get("url", "").trim();
        if (!u.isEmpty()) {
            try {
                url = new URI(u);
            } catch (URISyntaxException e) {
                throw c.invalid("url", u, "an http:// or https:// URL");
            }
            String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
            if (!(scheme.equals("http") || scheme.equals("https")) || url.getHost() == null) {
                throw c.invalid("url", u, "an http:// or https:// URL with a host");
            }
        }
        Format format;
        String f = c.get("format", "json").trim().toUpperCase(Locale.ROOT);
        try {
            format = Format.valueOf(f);
        } catch (IllegalArgumentException e) {
            throw c.invalid("format", c.get("format", ""), "json or ntfy");
        }
        Duration connect = positive(c, "connectTimeout", Duration.ofSeconds(3));
        Duration timeout = positive(c, "timeout", Duration.ofSeconds(10));
        Map<String, String> headers = new LinkedHashMap<>();
        for (String key : c.keys("header.")) {
            String name = key.substring("header.".length());
            if (name.isEmpty() || !name.chars().allMatch(ch -> ch > ' ' && ch < 127 && ch != ':')) {
                throw c.invalid(key, c.get(key, ""), "header.<Name> with a header name of visible ASCII characters");
            }
            if (RESERVED.contains(name.toLowerCase(Locale.ROOT))) throw c.invalid(key, c.get(key, ""), "a header other than " + RESERVED);
            String value = c.get(key, "");
            if (value.chars().anyMatch(ch -> ch == '\r' || ch == '\n')) throw c.invalid(key, "(value with a line break)", "one line");
            headers.put(name, value);
        }
        byte[] secret = c.get("secret", "").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        return new WebhookSettings(url, format, secret, connect, timeout, c.getBoolean("replay", false),
                Map.copyOf(headers), EventFilter.from(c), DeliveryPolicy.from(c, DeliveryPolicy.DEFAULT.withConcurrency(DEFAULT_CONCURRENCY)));
    }

    private static Duration positive(Configuration c, String key, Duration def) {
        Duration d = c.getDuration(key, def);
        if (d.isZero() || d.isNegative()) throw c.invalid(key, c.get(key, ""), "a positive duration (e.g. 5s)");
        return d;
    }
}
