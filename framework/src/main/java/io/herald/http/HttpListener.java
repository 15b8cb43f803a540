package io.herald.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.herald.api.http.HttpEndpoint;
import io.herald.host.ExtensionRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The core's HTTP listener (DESIGN §5; {@code conf/http.cfg}, default 127.0.0.1:8025), on the JDK's
 * {@code com.sun.net.httpserver}: the core's own paths ({@code /health}, {@code /metrics}, {@code /admin/...}) and
 * the {@link HttpEndpoint}s plugins contribute (longest matching path). Paths below {@code /admin/} need
 * {@code Authorization: Bearer <token>} with the token the server writes to {@code data/admin.properties}
 * (readable by the server's user only); everything else is the endpoint's business.
 */
public final class HttpListener implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(HttpListener.class);
    static final String ADMIN = "/admin";

    /**
     * The JDK's server leaves Nagle's algorithm on unless this system property is true (module {@code jdk.httpserver}).
     * With it on, an event written to an open stream (notify-sse) while the previous one is not yet acknowledged waits
     * for that acknowledgement, which a client delays by up to 40 ms (delayed ACK): at 100 events/s that is most
     * events. The property is read once, when the JVM creates its first JDK HTTP server, hence here, before ours; an
     * explicit {@code -Dsun.net.httpserver.nodelay=false} is left alone.
     */
    static final String NODELAY = "sun.net.httpserver.nodelay";

    static {
        if (System.getProperty(NODELAY) == null) System.setProperty(NODELAY, "true");
    }

    private final HttpSettings settings;
    private final ExtensionRegistry registry;
    private final SSLContext ssl;
    private final byte[] adminToken;
    private final Map<String, HttpEndpoint> core = new ConcurrentHashMap<>();
    private HttpServer server;
    private ThreadPoolExecutor executor;

    /**
     * @param ssl        the TLS context when {@link HttpSettings#tls()}, else null
     * @param adminToken what {@code /admin/} requests must present
     */
    public HttpListener(HttpSettings settings, ExtensionRegistry registry, SSLContext ssl, String adminToken) {
        this.settings = settings;
        this.registry = registry;
        this.ssl = ssl;
        this.adminToken = adminToken.getBytes(StandardCharsets.US_ASCII);
    }

    /** Adds one of the core's paths ({@code /health}, {@code /metrics}, {@code /admin/...}: the relay's queue commands too). */
    public HttpListener route(HttpEndpoint endpoint) {
        core.put(endpoint.path(), endpoint);
        return this;
    }

    public HttpListener start() throws IOException {
        InetSocketAddress at = new InetSocketAddress(settings.bind(), settings.port());
        if (settings.tls()) {
            HttpsServer s = HttpsServer.create(at, 64);
            s.setHttpsConfigurator(new HttpsConfigurator(ssl));
            server = s;
        } else {
            server = HttpServer.create(at, 64);
        }
        AtomicInteger n = new AtomicInteger();
        executor = new ThreadPoolExecutor(settings.threads(), settings.threads(), 30, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(256), r -> {
                    Thread t = new Thread(r, "herald-http-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                }, (r, pool) -> {
                    throw new java.util.concurrent.RejectedExecutionException("HTTP listener saturated");
                });
        executor.allowCoreThreadTimeOut(true);
        server.setExecutor(executor);
        server.createContext("/", this::serve);
        server.start();
        log.info("HTTP listener on {}://{}:{} (health, metrics, admin API{})", settings.tls() ? "https" : "http",
                settings.bind(), port(), "");
        return this;
    }

    /** The token {@code /admin/} requests must present. */
    public String adminToken() {
        return new String(adminToken, StandardCharsets.US_ASCII);
    }

    /** The bound port (useful with port 0). */
    public int port() {
        return server.getAddress().getPort();
    }

    /** {@code http://127.0.0.1:8025} (or https), the address a local client uses. */
    public String url() {
        String host = settings.bind().equals("0.0.0.0") || settings.bind().equals("::") ? "127.0.0.1" : settings.bind();
        if (host.contains(":")) host = "[" + host + "]";
        return (settings.tls() ? "https" : "http") + "://" + host + ":" + port();
    }

    private void serve(HttpExchange x) {
        Exchange e = new Exchange(x);
        try {
            String path = e.path();
            if (isAdmin(path) && !authorized(e)) {   // before the lookup: nothing below /admin is probed without the token
                e.header("WWW-Authenticate", "Bearer realm=\"herald-admin\"");
                Json.send(e, 401, Map.of("error", "the admin API needs Authorization: Bearer <token from data/admin.properties>"));
                return;
            }
            HttpEndpoint endpoint = find(path);
            if (endpoint == null) {
                Json.send(e, 404, Map.of("error", "no such path: " + path));
                return;
            }
            endpoint.handle(e, e);
            if (!e.sent()) {
                log.warn("HTTP endpoint {} answered nothing to {} {}", endpoint.getClass().getName(), e.method(), path);
                Json.send(e, 500, Map.of("error", "the endpoint sent no response"));
            }
        } catch (IOException ex) {
            log.debug("HTTP {} {}: client gone: {}", x.getRequestMethod(), x.getRequestURI(), ex.toString());
        } catch (RuntimeException | LinkageError ex) {
            log.warn("HTTP {} {} failed: {}", x.getRequestMethod(), x.getRequestURI(), ex.toString(), ex);
            if (!e.sent()) {
                try {
                    Json.send(e, 500, Map.of("error", "internal error: " + ex));
                } catch (IOException | RuntimeException ignored) {
                    // the client has gone too; nothing more to tell it
                }
            }
        } finally {
            x.close();
        }
    }

    private static boolean isAdmin(String path) {
        return path.equals(ADMIN) || path.startsWith(ADMIN + "/");
    }

    private boolean authorized(Exchange e) {
        String h = e.header("Authorization").orElse("");
        if (!h.regionMatches(true, 0, "Bearer ", 0, 7)) return false;
        return MessageDigest.isEqual(h.substring(7).trim().getBytes(StandardCharsets.US_ASCII), adminToken);
    }

    /** The core's paths first (plugins cannot take them), then the plugins' endpoints; the longest match wins. */
    HttpEndpoint find(String path) {
        HttpEndpoint best = longest(core.values(), path);
        if (best != null) return best;
        if (isAdmin(path)) return null;
        List<HttpEndpoint> plugins = registry.snapshot().httpEndpoints();
        return longest(plugins, path);
    }

    private static HttpEndpoint longest(Iterable<HttpEndpoint> candidates, String path) {
        HttpEndpoint best = null;
        int bestLength = -1;
        for (HttpEndpoint ep : candidates) {
            String p;
            try {
                p = ep.path();
            } catch (RuntimeException ex) {
                continue;
            }
            if (p == null || !p.startsWith("/")) continue;
            boolean match = path.equals(p) || path.startsWith(p.endsWith("/") ? p : p + "/");
            if (match && p.length() > bestLength) {
                best = ep;
                bestLength = p.length();
            }
        }
        return best;
    }

    @Override
    public void close() {
        if (server != null) server.stop(0);
        if (executor != null) executor.shutdownNow();
    }
}
