package io.herald.http;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Map;
import java.util.StringJoiner;

/**
 * Calls the running server's admin API for the command-line tools, with the address and token of
 * {@code data/admin.properties} ({@link AdminAccess}). The listener is on loopback; with {@code http.cfg: tls = true}
 * the server's own (often self-signed) certificate is accepted, since the token file already proves whom we talk to.
 */
public final class AdminClient {

    /** An answer: the HTTP status and the body. */
    public record Response(int status, String body) { }

    private final AdminAccess access;
    private final HttpClient client;

    public AdminClient(AdminAccess access) {
        this.access = access;
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5));
        if (access.url().startsWith("https:")) b.sslContext(trustAll());
        this.client = b.build();
    }

    /**
     * For the server whose data folder this is.
     *
     * @throws IOException with a message for people when the server is not running (no {@code admin.properties})
     */
    public static AdminClient forData(Path dataDir) throws IOException {
        try {
            return new AdminClient(AdminAccess.read(dataDir));
        } catch (NoSuchFileException e) {
            throw new IOException("no running server with an HTTP listener for " + dataDir.getParent()
                    + " (" + dataDir.resolve(AdminAccess.FILE) + " does not exist; is it started, with http.cfg enabled?)");
        }
    }

    public Response get(String path, Map<String, String> query, Duration timeout) throws IOException, InterruptedException {
        return call("GET", path, query, timeout);
    }

    public Response post(String path, Map<String, String> query, Duration timeout) throws IOException, InterruptedException {
        return call("POST", path, query, timeout);
    }

    /** A POST whose body is a file, streamed. */
    public Response post(String path, Map<String, String> query, Path body, Duration timeout) throws IOException, InterruptedException {
        return call("POST", path, query, HttpRequest.BodyPublishers.ofFile(body), timeout);
    }

    private Response call(String method, String path, Map<String, String> query, Duration timeout) throws IOException, InterruptedException {
        return call(method, path, query, HttpRequest.BodyPublishers.noBody(), timeout);
    }

    private Response call(String method, String path, Map<String, String> query, HttpRequest.BodyPublisher body,
                          Duration timeout) throws IOException, InterruptedException {
        StringJoiner q = new StringJoiner("&", "?", "");
        q.setEmptyValue("");
        query.forEach((k, v) -> q.add(URLEncoder.encode(k, StandardCharsets.UTF_8) + "=" + URLEncoder.encode(v, StandardCharsets.UTF_8)));
        HttpRequest req = HttpRequest.newBuilder(URI.create(access.url() + path + q))
                .timeout(timeout)
                .header("Authorization", "Bearer " + access.token())
                .method(method, body)
                .build();
        try {
            HttpResponse<String> r = client.send(req, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            return new Response(r.statusCode(), r.body());
        } catch (java.net.ConnectException e) {
            throw new IOException("the server's admin API at " + access.url() + " does not answer (is the server running?)", e);
        } catch (java.net.http.HttpTimeoutException e) {
            throw new IOException("the server's admin API at " + access.url() + " did not answer " + path + " within "
                    + timeout.toSeconds() + " s", e);
        } catch (java.io.FileNotFoundException | NoSuchFileException e) {
            throw e;                                   // the body's file, not the server
        } catch (IOException e) {
            // e.g. the JDK's "HTTP/1.1 header parser received no bytes" when the server stops while it handles the call
            throw new IOException("the server's admin API at " + access.url() + " closed the connection without an answer"
                    + " (did the server stop?): " + e.getMessage(), e);
        }
    }

    private static javax.net.ssl.SSLContext trustAll() {
        try {
            javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
            ctx.init(null, new javax.net.ssl.TrustManager[] {new javax.net.ssl.X509TrustManager() {
                @Override public void checkClientTrusted(X509Certificate[] chain, String authType) { }
                @Override public void checkServerTrusted(X509Certificate[] chain, String authType) { }
                @Override public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
            }}, new SecureRandom());
            return ctx;
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
