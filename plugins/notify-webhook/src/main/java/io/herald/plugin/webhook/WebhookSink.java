package io.herald.plugin.webhook;

import io.herald.api.mailbox.MailboxEvent;
import io.herald.api.notify.DeliveryPolicy;
import io.herald.api.notify.EventJson;
import io.herald.api.notify.NotificationSink;
import io.herald.api.notify.RetryLaterException;
import io.herald.api.plugin.PluginContext;
import jakarta.inject.Inject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;

/**
 * One HTTP POST per event to {@code url}. {@code format = json}: the JSON of {@link EventBody}, with
 * {@code X-Herald-Signature: sha256=<hex HMAC-SHA256 of the body bytes with the secret>} when a secret is set.
 * {@code format = ntfy}: the text of {@link EventBody#text} as the body, the title in {@code Title} (RFC 2047 when not
 * ASCII) and {@code Tags: email}, as ntfy's publish API takes them.
 *
 * <p>Outcome: 2xx delivered; 408, 425, 429 and 5xx, a timeout or a connection failure: retry later (honouring
 * {@code Retry-After} in seconds); any other status: given up (the receiver refuses this event; retrying would not
 * help). Redirects are not followed.
 */
final class WebhookSink implements NotificationSink, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(WebhookSink.class);
    static final String SIGNATURE = "X-Herald-Signature";

    private final WebhookSettings settings;
    private final HttpClient client;
    private final EventJournal journal;
    private final boolean readOnly;
    private final String pluginName;
    private final String configPid;

    @Inject
    WebhookSink(PluginContext context) {
        this.settings = WebhookSettings.from(context.config());
        this.pluginName = context.name();
        this.configPid = context.config().pid();
        this.readOnly = context.readOnly();
        this.journal = new EventJournal(context.dataDir());
        this.client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(settings.connectTimeout())
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
        if (settings.url() == null) log.info("{}: no url configured (conf/{}.cfg): no webhook is called", pluginName, context.config().pid());
        if (!settings.replay() && !readOnly) discardJournal();
    }

    private void discardJournal() {
        try {
            java.nio.file.Files.deleteIfExists(journal.file());
        } catch (IOException e) {
            log.warn("{}: cannot remove {}: {}", pluginName, journal.file(), e.toString());
        }
    }

    @Override public String name() {
        return "webhook";
    }

    @Override public DeliveryPolicy policy() {
        return settings.policy();
    }

    @Override public java.util.Optional<String> notConfigured() {
        return settings.url() != null ? java.util.Optional.empty()
                : java.util.Optional.of("no url: set url in conf/" + configPid + ".cfg (the receiver's http:// or https:// address)");
    }

    @Override public boolean accepts(MailboxEvent event) {
        return settings.url() != null && settings.filter().matches(event);
    }

    @Override
    public void onEvent(MailboxEvent event) throws Exception {
        HttpRequest request = request(event);
        HttpResponse<String> response;
        try {
            response = client.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (HttpTimeoutException e) {
            throw new RetryLaterException("no answer from " + settings.url() + " within " + settings.timeout().toMillis() + " ms", e);
        } catch (IOException e) {
            throw new RetryLaterException("cannot reach " + settings.url() + ": " + e, e);
        }
        int status = response.statusCode();
        if (status >= 200 && status < 300) return;
        String what = "HTTP " + status + " from " + settings.url() + snippet(response.body());
        if (status == 408 || status == 425 || status == 429 || status >= 500) {
            throw new RetryLaterException(what, retryAfter(response).orElse(null), null);
        }
        throw new IOException(what + " (not retried)");
    }

    HttpRequest request(MailboxEvent event) {
        String body;
        HttpRequest.Builder b = HttpRequest.newBuilder(settings.url()).timeout(settings.timeout())
                .header("User-Agent", "Herald-notify-webhook");
        if (settings.format() == WebhookSettings.Format.NTFY) {
            body = EventBody.text(event);
            b.header("Content-Type", "text/plain; charset=utf-8")
                    .header("Title", EventBody.headerValue(EventBody.title(event)))
                    .header("Tags", "email");
        } else {
            body = EventJson.of(event);
            b.header("Content-Type", "application/json; charset=utf-8");
        }
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        b.header("X-Herald-Event", EventJson.kind(event));
        if (settings.secret().length > 0) b.header(SIGNATURE, "sha256=" + hmac(settings.secret(), bytes));
        settings.headers().forEach(b::header);
        return b.POST(HttpRequest.BodyPublishers.ofByteArray(bytes)).build();
    }

    /** Hex HMAC-SHA256 (RFC 2104) of the body. */
    static String hmac(byte[] key, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal(body));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }

    /** RFC 9110 §10.2.3 Retry-After in delay-seconds (an HTTP-date is ignored: the back-off applies). */
    private static java.util.Optional<Duration> retryAfter(HttpResponse<?> r) {
        return r.headers().firstValue("Retry-After").flatMap(v -> {
            try {
                long s = Long.parseLong(v.trim());
                return s >= 0 ? java.util.Optional.of(Duration.ofSeconds(s)) : java.util.Optional.empty();
            } catch (NumberFormatException e) {
                return java.util.Optional.empty();
            }
        });
    }

    private static String snippet(String body) {
        if (body == null || body.isBlank()) return "";
        String one = body.strip().replaceAll("\\s+", " ");
        return ": " + (one.length() > 120 ? one.substring(0, 120) + "..." : one);
    }

    /** {@code replay = true}: the events still to deliver are kept for the next start. */
    @Override
    public void undelivered(List<MailboxEvent> events) {
        if (!settings.replay() || readOnly || events.isEmpty()) {
            if (!events.isEmpty()) log.info("{}: {} events not delivered at shutdown are dropped (replay = false)", pluginName, events.size());
            return;
        }
        try {
            journal.write(events);
            log.info("{}: {} undelivered events kept in {} for the next start (replay = true)", pluginName, events.size(), journal.file());
        } catch (IOException e) {
            log.error("{}: cannot keep {} undelivered events in {}: {}", pluginName, events.size(), journal.file(), e.toString(), e);
        }
    }

    @Override
    public List<MailboxEvent> backlog() {
        if (!settings.replay() || readOnly) return List.of();
        try {
            return journal.take();
        } catch (IOException e) {
            log.error("{}: cannot read the kept events {}: {}", pluginName, journal.file(), e.toString(), e);
            return List.of();
        }
    }

    @Override
    public void close() {
        // HttpClient (Java 17) has no close(); its threads are daemon threads and go with the client
    }
}
