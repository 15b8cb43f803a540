package io.herald.testkit.http;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The receiver seen by the JDK's HTTP client. */
class WebhookReceiverTest {

    final WebhookReceiver hooks = WebhookReceiver.start();
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @AfterEach
    void stop() {
        hooks.close();
    }

    private int post(String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(hooks.uri(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    @Test
    void recordsMethodPathQueryHeadersAndBody() throws Exception {
        assertThat(hooks.url("/x")).isEqualTo("http://127.0.0.1:" + hooks.port() + "/x");
        assertThat(post("/new-mail?user=olaf", "{\"mailbox\":\"olaf@herald.test\"}")).isEqualTo(204);
        WebhookReceiver.Request r = hooks.awaitRequests(1, Duration.ofSeconds(5)).get(0);
        assertThat(r.method()).isEqualTo("POST");
        assertThat(r.path()).isEqualTo("/new-mail");
        assertThat(r.query()).contains("user=olaf");
        assertThat(r.header("CONTENT-TYPE")).contains("application/json");
        assertThat(r.bodyText()).isEqualTo("{\"mailbox\":\"olaf@herald.test\"}");
        assertThat(r.status()).isEqualTo(204);
    }

    @Test
    void scriptedStatusesThenTheDefault() throws Exception {
        hooks.respondWith(503, 500).defaultStatus(200);
        assertThat(List.of(post("/a", "1"), post("/a", "2"), post("/a", "3"), post("/a", "4"))).containsExactly(503, 500, 200, 200);
        assertThat(hooks.requests()).extracting(WebhookReceiver.Request::bodyText).containsExactly("1", "2", "3", "4");
        hooks.clear();
        assertThat(hooks.requests()).isEmpty();
        assertThatThrownBy(() -> hooks.respondWith(99)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void awaitFailsNamingWhatArrived() throws Exception {
        post("/only", "one");
        assertThatThrownBy(() -> hooks.awaitRequests(2, Duration.ofMillis(300)))
                .isInstanceOf(AssertionError.class).hasMessageContaining("got 1");
    }
}
