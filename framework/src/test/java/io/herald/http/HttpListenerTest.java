package io.herald.http;

import io.herald.api.http.HttpEndpoint;
import io.herald.api.http.HttpRequest;
import io.herald.api.http.HttpResponse;
import io.herald.api.mailbox.MailboxEvent;
import io.herald.api.notify.NotificationSink;
import io.herald.api.notify.RetryLaterException;
import io.herald.api.notify.TestEvent;
import io.herald.api.plugin.HeraldPlugin;
import io.herald.server.HeraldServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/** The core's HTTP listener with a real JDK HTTP client: health, metrics, the admin API and its token, plugin paths. */
class HttpListenerTest {

    @TempDir
    Path home;

    static final List<MailboxEvent> got = new CopyOnWriteArrayList<>();

    public static final class SamplePlugin extends HeraldPlugin {
        @Override
        protected void configure() {
            notificationSink().toInstance(new NotificationSink() {
                @Override public void onEvent(MailboxEvent e) { got.add(e); }
                @Override public String name() { return "recorder"; }
            });
            notificationSink().toInstance(new NotificationSink() {
                @Override public void onEvent(MailboxEvent e) throws RetryLaterException { throw new RetryLaterException("receiver down"); }
                @Override public String name() { return "down"; }
            });
            httpEndpoint().toInstance(new HttpEndpoint() {
                @Override public String path() { return "/hello"; }
                @Override public void handle(HttpRequest req, HttpResponse res) throws IOException {
                    if (req.path().equals("/hello/stream")) {
                        try (OutputStream out = res.stream(200, "text/plain")) {
                            for (int i = 0; i < 3; i++) {
                                out.write(("line " + i + "\n").getBytes(StandardCharsets.UTF_8));
                                out.flush();
                            }
                        }
                        return;
                    }
                    res.header("X-Seen", req.header("X-Test").orElse("-"))
                            .send(200, "text/plain", ("hello " + req.query("name").orElse("?") + " at " + req.path()).getBytes(StandardCharsets.UTF_8));
                }
            });
            httpEndpoint().toInstance(new HttpEndpoint() {
                @Override public String path() { return "/admin"; }
                @Override public void handle(HttpRequest req, HttpResponse res) throws IOException {
                    res.send(200, "text/plain", "hijacked".getBytes(StandardCharsets.UTF_8));
                }
            });
        }
    }

    HeraldServer start() throws IOException {
        return HeraldServer.builder().home(home)
                .set("smtp", "port", "0").set("submission", "port", "-1").set("submissions", "port", "-1")
                .set("http", "port", "0")
                .plugins(List.of(new SamplePlugin())).start();
    }

    static java.net.http.HttpResponse<String> get(String url, String... headers) throws Exception {
        var b = java.net.http.HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20));
        if (headers.length > 0) b.headers(headers);
        return HttpClient.newHttpClient().send(b.build(), java.net.http.HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void healthMetricsPluginPathsAndTheAdminToken() throws Exception {
        try (HeraldServer server = start()) {
            String base = "http://127.0.0.1:" + server.httpPort();
            var health = get(base + "/health");
            assertThat(health.statusCode()).as("no mailbox store in this server").isEqualTo(503);
            assertThat(health.body()).contains("\"status\":\"starting\"");

            var hello = get(base + "/hello/there?name=Olaf%20S", "X-Test", "yes");
            assertThat(hello.statusCode()).isEqualTo(200);
            assertThat(hello.body()).isEqualTo("hello Olaf S at /hello/there");
            assertThat(hello.headers().firstValue("X-Seen")).contains("yes");
            assertThat(get(base + "/hellothere").statusCode()).as("a path is matched by segments").isEqualTo(404);
            assertThat(get(base + "/hello/stream").body()).isEqualTo("line 0\nline 1\nline 2\n");

            assertThat(get(base + "/admin/notify/sinks").statusCode()).as("no token").isEqualTo(401);
            assertThat(get(base + "/admin/anything").statusCode()).as("a plugin cannot take /admin").isEqualTo(401);
            assertThat(get(base + "/admin/notify/sinks", "Authorization", "Bearer wrong").statusCode()).isEqualTo(401);

            Path file = server.paths().data().resolve(AdminAccess.FILE);
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
            AdminClient admin = AdminClient.forData(server.paths().data());
            var sinks = admin.get("/admin/notify/sinks", Map.of(), Duration.ofSeconds(10));
            assertThat(sinks.status()).isEqualTo(200);
            assertThat(sinks.body()).contains("\"sink\":\"recorder\"", "\"sink\":\"down\"");

            var test = admin.post("/admin/notify/test", Map.of("address", "Olaf@herald.test", "wait", "2s"), Duration.ofSeconds(10));
            assertThat(test.status()).isEqualTo(200);
            @SuppressWarnings("unchecked")
            var results = (List<Map<String, Object>>) ((Map<String, Object>) Json.parse(test.body())).get("sinks");
            assertThat(results).extracting(m -> m.get("sink") + "=" + m.get("outcome")).containsExactly("recorder=delivered", "down=retrying");
            assertThat(results.get(1).get("detail").toString()).contains("receiver down");
            assertThat(got).singleElement().satisfies(e -> {
                assertThat(TestEvent.isTest(e)).isTrue();
                assertThat(e.mailbox()).isEqualTo("olaf@herald.test");
            });

            assertThat(admin.post("/admin/notify/test", Map.of("address", "not an address"), Duration.ofSeconds(10)).status()).isEqualTo(400);
            assertThat(admin.get("/admin/notify/test", Map.of("address", "olaf@herald.test"), Duration.ofSeconds(10)).status()).isEqualTo(405);

            String metrics = get(base + "/metrics").body();
            assertThat(metrics).contains("herald_notify_delivered_total{plugin=\"http-listener-test$\",sink=\"recorder\"} 1".replace("http-listener-test$", pluginName()))
                    .contains("# TYPE herald_notify_retries_total counter");
        }
        assertThat(home.resolve("data").resolve(AdminAccess.FILE)).as("removed at shutdown").doesNotExist();
    }

    private static String pluginName() {
        return new SamplePlugin().configPid();
    }

    @Test
    void httpsWithTheServersCertificate() throws Exception {
        try (HeraldServer server = HeraldServer.builder().home(home)
                .set("smtp", "port", "-1").set("submission", "port", "-1").set("submissions", "port", "-1")
                .set("http", "port", "0").set("http", "tls", "true")
                .plugins(List.of(new SamplePlugin())).start()) {
            assertThat(server.http().url()).startsWith("https://127.0.0.1:");
            javax.net.ssl.SSLContext trust = javax.net.ssl.SSLContext.getInstance("TLS");
            trust.init(null, new javax.net.ssl.TrustManager[] {new javax.net.ssl.X509TrustManager() {
                @Override public void checkClientTrusted(java.security.cert.X509Certificate[] c, String a) { }
                @Override public void checkServerTrusted(java.security.cert.X509Certificate[] c, String a) { }
                @Override public java.security.cert.X509Certificate[] getAcceptedIssuers() { return new java.security.cert.X509Certificate[0]; }
            }}, null);
            var client = HttpClient.newBuilder().sslContext(trust).build();
            var r = client.send(java.net.http.HttpRequest.newBuilder(URI.create(server.http().url() + "/hello/stream")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(r.body()).isEqualTo("line 0\nline 1\nline 2\n");
            assertThat(r.sslSession()).isPresent();
            // the command-line tools' client accepts the server's own certificate (it has the token from data/)
            assertThat(AdminClient.forData(server.paths().data()).get("/admin/notify/sinks", Map.of(), Duration.ofSeconds(10)).status()).isEqualTo(200);
        }
    }

    /**
     * Nagle's algorithm off on the listener (the JDK's server has it on by default): else an SSE event written while the
     * previous one is unacknowledged waits for the client's delayed ACK. The JDK reads the property once, when the
     * first server of the JVM is created; the listener sets it when its class is loaded, before creating one.
     */
    @Test
    void theListenerTurnsNaglesAlgorithmOffForTheJdkServer() throws Exception {
        Class.forName(HttpListener.class.getName(), true, HttpListener.class.getClassLoader());
        assertThat(System.getProperty(HttpListener.NODELAY)).isEqualTo("true");
        assertThat(HttpListener.NODELAY).isEqualTo("sun.net.httpserver.nodelay");
    }

    @Test
    void jsonRoundTrip() {
        Object v = Json.parse(Json.write(Map.of("a", List.of(1L, "x\"\n\u0001", true))));
        assertThat(v).isEqualTo(Map.of("a", List.of(1L, "x\"\n\u0001", true)));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Json.parse("{\"a\":}")).hasMessageContaining("offset 5");
    }
}
