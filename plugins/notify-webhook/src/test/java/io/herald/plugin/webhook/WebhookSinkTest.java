package io.herald.plugin.webhook;

import com.sun.net.httpserver.HttpServer;
import io.herald.api.config.Configuration;
import io.herald.api.config.ConfigurationException;
import io.herald.api.mailbox.MailboxEvent;
import io.herald.api.notify.RetryLaterException;
import io.herald.api.plugin.PluginContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class WebhookSinkTest {

    @TempDir
    Path data;

    static Configuration config(Map<String, String> values) {
        return new Configuration() {
            @Override public String pid() { return "notify-webhook"; }
            @Override public Optional<String> get(String key) { return Optional.ofNullable(values.get(key)); }
            @Override public Set<String> keys() { return values.keySet(); }
        };
    }

    WebhookSink sink(Map<String, String> values) {
        return new WebhookSink(new PluginContext("notify-webhook", config(values), data, false));
    }

    static final MailboxEvent.MessageAdded ADDED = new MailboxEvent.MessageAdded("olaf@herald.test", "INBOX", 7, 3,
            "Elsa <elsa@herald.test>", "Schnee ☃", 1234, false, Instant.parse("2026-12-04T05:40:00Z"));

    @Test
    void answersAreMappedToDeliveredRetryOrGiveUp() throws Exception {
        AtomicInteger status = new AtomicInteger(204);
        AtomicReference<String> retryAfter = new AtomicReference<>();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 10);
        server.createContext("/", x -> {
            x.getRequestBody().readAllBytes();
            if (retryAfter.get() != null) x.getResponseHeaders().add("Retry-After", retryAfter.get());
            x.sendResponseHeaders(status.get(), -1);
            x.close();
        });
        server.start();
        try {
            WebhookSink sink = sink(Map.of("url", "http://127.0.0.1:" + server.getAddress().getPort() + "/h"));
            sink.onEvent(ADDED);
            status.set(503);
            retryAfter.set("7");
            assertThatThrownBy(() -> sink.onEvent(ADDED)).isInstanceOfSatisfying(RetryLaterException.class,
                    e -> assertThat(e.after()).contains(Duration.ofSeconds(7)));
            retryAfter.set(null);
            status.set(429);
            assertThatThrownBy(() -> sink.onEvent(ADDED)).isInstanceOf(RetryLaterException.class);
            status.set(410);
            assertThatThrownBy(() -> sink.onEvent(ADDED)).isNotInstanceOf(RetryLaterException.class).hasMessageContaining("HTTP 410");
            status.set(302);
            assertThatThrownBy(() -> sink.onEvent(ADDED)).as("redirects are not followed").hasMessageContaining("HTTP 302");
        } finally {
            server.stop(0);
        }
        WebhookSink nobody = sink(Map.of("url", "http://127.0.0.1:1/h", "connectTimeout", "1s"));
        assertThatThrownBy(() -> nobody.onEvent(ADDED)).isInstanceOf(RetryLaterException.class).hasMessageContaining("cannot reach");
    }

    @Test
    void ntfyFormatPutsTheTitleInAHeaderAndTextInTheBody() {
        WebhookSink sink = sink(Map.of("url", "https://ntfy.example/olaf", "format", "ntfy", "header.Priority", "high"));
        var req = sink.request(ADDED);
        assertThat(req.headers().firstValue("Title")).contains("New mail for olaf@herald.test");
        assertThat(req.headers().firstValue("Priority")).contains("high");
        assertThat(req.headers().firstValue("Content-Type")).contains("text/plain; charset=utf-8");
        assertThat(req.headers().firstValue("X-Herald-Signature")).isEmpty();
        assertThat(EventBody.text(ADDED)).isEqualTo("From: Elsa <elsa@herald.test>\nSubject: Schnee ☃\nFolder: INBOX");
        assertThat(EventBody.headerValue("Schnee ☃")).isEqualTo("=?UTF-8?B?U2NobmVlIOKYgw==?=");
        assertThat(EventBody.headerValue("a\r\nInjected: x")).isEqualTo("a Injected: x");
    }

    @Test
    void theSignatureIsTheHmacOfTheBody() {
        // RFC 4231 test case 2
        assertThat(WebhookSink.hmac("Jefe".getBytes(StandardCharsets.US_ASCII), "what do ya want for nothing?".getBytes(StandardCharsets.US_ASCII)))
                .isEqualTo("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
        var req = sink(Map.of("url", "http://127.0.0.1:9/h", "secret", "Jefe")).request(ADDED);
        assertThat(req.headers().firstValue("X-Herald-Signature")).get().asString().matches("sha256=[0-9a-f]{64}");
    }

    @Test
    void wrongValuesAreRefusedNamingTheKey() {
        assertThatThrownBy(() -> sink(Map.of("url", "ftp://x/"))).isInstanceOf(ConfigurationException.class).hasMessageContaining("url");
        assertThatThrownBy(() -> sink(Map.of("format", "xml"))).hasMessageContaining("format = 'xml'").hasMessageContaining("json or ntfy");
        assertThatThrownBy(() -> sink(Map.of("timeout", "0s"))).hasMessageContaining("timeout");
        assertThatThrownBy(() -> sink(Map.of("header.Content-Length", "3"))).hasMessageContaining("header.Content-Length");
        assertThatThrownBy(() -> sink(Map.of("header.X", "a\nb"))).hasMessageContaining("one line");
        assertThatThrownBy(() -> sink(Map.of("users", "olaf"))).hasMessageContaining("users");
        assertThatThrownBy(() -> sink(Map.of("events", "added,read"))).hasMessageContaining("events");
        assertThatThrownBy(() -> sink(Map.of("attempts", "0"))).hasMessageContaining("attempts");
        assertThatThrownBy(() -> sink(Map.of("retry.first", "10s", "retry.max", "1s"))).hasMessageContaining("retry.max");
    }

    @Test
    void theFilterServesConfiguredUsersAndFolders() {
        WebhookSink none = sink(Map.of());
        assertThat(none.accepts(ADDED)).as("no url: nothing").isFalse();
        assertThat(none.notConfigured()).contains("no url: set url in conf/notify-webhook.cfg (the receiver's http:// or https:// address)");
        WebhookSink sink = sink(Map.of("url", "http://127.0.0.1:9/h", "users", "*@herald.test, elsa@other.test"));
        assertThat(sink.notConfigured()).isEmpty();
        assertThat(sink.accepts(ADDED)).isTrue();
        assertThat(sink.accepts(new MailboxEvent.MessageAdded("x@else.test", "INBOX", 1, 1, "", "", 1, false, Instant.now()))).isFalse();
        assertThat(sink.accepts(new MailboxEvent.MessageAdded("olaf@herald.test", "Junk", 1, 1, "", "", 1, true, Instant.now())))
                .as("Junk is not INBOX").isFalse();
        assertThat(sink.accepts(new MailboxEvent.Expunged("olaf@herald.test", "INBOX", 1, Instant.now()))).as("events = added").isFalse();
    }

    @Test
    void theJournalKeepsEveryKindOfEvent() throws Exception {
        List<MailboxEvent> events = List.of(ADDED,
                new MailboxEvent.FlagsChanged("olaf@herald.test", "INBOX", 3, Set.of("\\Seen", "$Junk"), Instant.parse("2026-12-04T05:40:01.5Z")),
                new MailboxEvent.Expunged("olaf@herald.test", "INBOX", 3, Instant.parse("2026-12-04T05:40:02Z")),
                new MailboxEvent.FolderChanged("olaf@herald.test", "A", MailboxEvent.FolderChanged.Change.RENAMED, "B", Instant.parse("2026-12-04T05:40:03Z")));
        EventJournal j = new EventJournal(data);
        j.write(events);
        assertThat(j.take()).isEqualTo(events);
        assertThat(j.take()).as("handed out once").isEmpty();

        Map<String, String> replay = new HashMap<>(Map.of("url", "http://127.0.0.1:9/h", "replay", "true"));
        sink(replay).undelivered(events);
        assertThat(sink(replay).backlog()).isEqualTo(events);
        sink(replay).undelivered(events);
        sink(Map.of("url", "http://127.0.0.1:9/h")).undelivered(events);   // replay = false keeps nothing and drops the old file
        assertThat(sink(replay).backlog()).isEmpty();
    }
}
