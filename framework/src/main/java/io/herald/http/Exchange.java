package io.herald.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsExchange;
import io.herald.api.http.HttpRequest;
import io.herald.api.http.HttpResponse;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The API's request and response over one JDK {@link HttpExchange}; keeps JDK types out of the API. */
final class Exchange implements HttpRequest, HttpResponse {

    private final HttpExchange exchange;
    private final Map<String, List<String>> query;
    private boolean sent;

    Exchange(HttpExchange exchange) {
        this.exchange = exchange;
        this.query = parseQuery(exchange.getRequestURI().getRawQuery());
    }

    static Map<String, List<String>> parseQuery(String raw) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) return out;
        for (String pair : raw.split("&")) {
            if (pair.isEmpty()) continue;
            int eq = pair.indexOf('=');
            String k = eq < 0 ? pair : pair.substring(0, eq);
            String v = eq < 0 ? "" : pair.substring(eq + 1);
            try {
                out.computeIfAbsent(URLDecoder.decode(k, StandardCharsets.UTF_8), x -> new ArrayList<>())
                        .add(URLDecoder.decode(v, StandardCharsets.UTF_8));
            } catch (IllegalArgumentException e) {
                // a malformed %-escape: the parameter is left out (the handler sees it as missing)
            }
        }
        return out;
    }

    boolean sent() { return sent; }

    @Override public String method() { return exchange.getRequestMethod().toUpperCase(java.util.Locale.ROOT); }

    @Override public String path() { return exchange.getRequestURI().getPath(); }

    @Override public Optional<String> query(String name) {
        List<String> v = query.get(name);
        return v == null || v.isEmpty() ? Optional.empty() : Optional.of(v.get(0));
    }

    @Override public Optional<String> header(String name) {
        return Optional.ofNullable(exchange.getRequestHeaders().getFirst(name));
    }

    @Override public List<String> headers(String name) {
        List<String> v = exchange.getRequestHeaders().get(name);
        return v == null ? List.of() : List.copyOf(v);
    }

    @Override public InputStream body() { return exchange.getRequestBody(); }

    @Override public InetSocketAddress remote() { return exchange.getRemoteAddress(); }

    @Override public boolean secure() { return exchange instanceof HttpsExchange; }

    @Override public HttpResponse header(String name, String value) {
        if (sent) throw new IllegalStateException("the response has been sent");
        exchange.getResponseHeaders().add(name, value);
        return this;
    }

    @Override public void send(int status, String contentType, byte[] body) throws IOException {
        begin(contentType);
        boolean noBody = body.length == 0 || exchange.getRequestMethod().equalsIgnoreCase("HEAD");
        exchange.sendResponseHeaders(status, noBody ? -1 : body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            if (!noBody) out.write(body);
        }
    }

    @Override public OutputStream stream(int status, String contentType) throws IOException {
        begin(contentType);
        exchange.sendResponseHeaders(status, 0);   // 0: chunked
        return exchange.getResponseBody();
    }

    private void begin(String contentType) {
        if (sent) throw new IllegalStateException("the response has been sent");
        sent = true;
        if (contentType != null) exchange.getResponseHeaders().set("Content-Type", contentType);
    }
}
