package io.herald.testkit.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A real HTTP server on loopback that records every request it gets, for testing plugins that call webhooks: a
 * notification sink, an alerting hook. It answers {@code 204 No Content} unless told otherwise, and can play a
 * scripted sequence of statuses first (to test retries: {@code respondWith(503, 503)} then the default).
 *
 * <pre>{@code
 * try (WebhookReceiver hooks = WebhookReceiver.start()) {
 *     String url = hooks.url("/new-mail");        // give this to the plugin's configuration
 *     ...
 *     WebhookReceiver.Request r = hooks.awaitRequests(1, Duration.ofSeconds(10)).get(0);
 *     assertThat(r.method()).isEqualTo("POST");
 *     assertThat(r.bodyText()).contains("olaf@herald.test");
 * }
 * }</pre>
 *
 * Thread-safe. Requests are served by a small pool of daemon threads; the body is read whole (up to 16 MiB).
 */
public final class WebhookReceiver implements AutoCloseable {

    private static final int MAX_BODY = 16 << 20;

    /**
     * One request as received.
     *
     * @param method  {@code POST}, {@code GET}, ...
     * @param path    the path, without the query
     * @param query   the raw query string, or empty
     * @param headers header names in lower case, each with its values in order
     * @param body    the body bytes (empty when none)
     * @param status  the status this receiver answered with
     * @param received when it arrived
     */
    public record Request(String method, String path, Optional<String> query, Map<String, List<String>> headers,
                          byte[] body, int status, Instant received) {
        public Request {
            headers = Map.copyOf(headers);
            body = body.clone();
        }

        /** The first value of a header (case-insensitive name). */
        public Optional<String> header(String name) {
            List<String> v = headers.get(name.toLowerCase(Locale.ROOT));
            return v == null || v.isEmpty() ? Optional.empty() : Optional.of(v.get(0));
        }

        /** The body decoded as UTF-8. */
        public String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }

        @Override
        public byte[] body() {
            return body.clone();
        }

        @Override
        public String toString() {
            return method + " " + path + query.map(q -> "?" + q).orElse("") + " -> " + status + " (" + body.length + " bytes)";
        }
    }

    private final HttpServer server;
    private final ExecutorService pool;
    private final List<Request> requests = new ArrayList<>();
    private final Deque<Integer> scripted = new ArrayDeque<>();
    private int defaultStatus = 204;
    private Duration delay = Duration.ZERO;

    private WebhookReceiver(HttpServer server, ExecutorService pool) {
        this.server = server;
        this.pool = pool;
    }

    /** Starts a receiver on a free port of 127.0.0.1. */
    public static WebhookReceiver start() {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 50);
            ExecutorService pool = Executors.newFixedThreadPool(4, r -> {
                Thread t = new Thread(r, "webhook-receiver");
                t.setDaemon(true);
                return t;
            });
            WebhookReceiver receiver = new WebhookReceiver(server, pool);
            server.createContext("/", receiver::handle);
            server.setExecutor(pool);
            server.start();
            return receiver;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the webhook receiver on loopback", e);
        }
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** {@code http://127.0.0.1:port} + path (a path must start with {@code /}). */
    public String url(String path) {
        if (!path.startsWith("/")) throw new IllegalArgumentException("a path starts with /: " + path);
        return "http://127.0.0.1:" + port() + path;
    }

    public URI uri(String path) {
        return URI.create(url(path));
    }

    /** The status of every request after the scripted ones (204 at first). */
    public synchronized WebhookReceiver defaultStatus(int status) {
        checkStatus(status);
        this.defaultStatus = status;
        return this;
    }

    /** The statuses of the next requests, in order; after them, the default status again. */
    public synchronized WebhookReceiver respondWith(int... statuses) {
        for (int s : statuses) {
            checkStatus(s);
            scripted.add(s);
        }
        return this;
    }

    /** Waits this long before answering each request (to test a sink's time limit). */
    public synchronized WebhookReceiver delay(Duration delay) {
        this.delay = delay;
        return this;
    }

    /** The requests received so far, in arrival order. */
    public synchronized List<Request> requests() {
        return List.copyOf(requests);
    }

    /**
     * Waits until at least {@code count} requests have arrived and returns them all.
     *
     * @throws AssertionError when fewer arrived within {@code timeout}
     */
    public synchronized List<Request> awaitRequests(int count, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (requests.size() < count) {
            long left = deadline - System.nanoTime();
            if (left <= 0) throw new AssertionError("expected " + count + " webhook requests within " + timeout + ", got " + requests.size() + ": " + requests);
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return List.copyOf(requests);
    }

    /** Forgets the requests received so far and the scripted statuses. */
    public synchronized void clear() {
        requests.clear();
        scripted.clear();
    }

    @Override
    public void close() {
        server.stop(0);
        pool.shutdownNow();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            byte[] body = readBody(exchange.getRequestBody());
            int status;
            Duration wait;
            synchronized (this) {
                status = scripted.isEmpty() ? defaultStatus : scripted.poll();
                wait = delay;
            }
            if (!wait.isZero()) {
                try {
                    Thread.sleep(wait.toMillis());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            Map<String, List<String>> headers = new TreeMap<>();
            exchange.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), List.copyOf(v)));
            URI uri = exchange.getRequestURI();
            Request r = new Request(exchange.getRequestMethod(), uri.getRawPath(), Optional.ofNullable(uri.getRawQuery()),
                    headers, body, status, Instant.now());
            synchronized (this) {
                requests.add(r);
                notifyAll();
            }
            // 204 and 304 carry no body (RFC 9110 §15.3.5); -1 tells the JDK server so
            exchange.sendResponseHeaders(status, status == 204 || status == 304 ? -1 : 0);
        }
    }

    private static byte[] readBody(InputStream in) throws IOException {
        byte[] body = in.readNBytes(MAX_BODY + 1);
        if (body.length > MAX_BODY) throw new IOException("request body over " + MAX_BODY + " bytes");
        return body;
    }

    private static void checkStatus(int status) {
        if (status < 100 || status > 599) throw new IllegalArgumentException("not an HTTP status: " + status);
    }
}
