package io.herald.e2e;

import com.sun.net.httpserver.HttpServer;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * The real peers of the notification tests: a webhook receiver, a receiver that never answers, an SSE client, SMTP;
 * and the TLS context every distribution test uses against the server's self-signed certificate ({@link #trustAll}).
 */
public final class NotifyPeers {

    private NotifyPeers() { }

    /** A TLS context that accepts the server's self-signed certificate (tests on loopback only). */
    public static javax.net.ssl.SSLContext trustAll() throws Exception {
        javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
        ctx.init(null, new javax.net.ssl.TrustManager[] {new javax.net.ssl.X509TrustManager() {
            @Override public void checkClientTrusted(java.security.cert.X509Certificate[] c, String a) { }
            @Override public void checkServerTrusted(java.security.cert.X509Certificate[] c, String a) { }
            @Override public java.security.cert.X509Certificate[] getAcceptedIssuers() { return new java.security.cert.X509Certificate[0]; }
        }}, null);
        return ctx;
    }

    /** One POST as the receiver got it. */
    record Received(String path, Map<String, List<String>> headers, byte[] body, long nanos, long wallMillis) {
        String header(String name) {
            for (Map.Entry<String, List<String>> e : headers.entrySet()) {
                if (e.getKey().equalsIgnoreCase(name)) return e.getValue().get(0);
            }
            return null;
        }

        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /** A webhook receiver on loopback (JDK HTTP server): answers {@code failFirst} requests 503, then 200. */
    static final class Receiver implements AutoCloseable {
        final BlockingQueue<Received> got = new LinkedBlockingQueue<>();
        final List<Received> all = new CopyOnWriteArrayList<>();
        final AtomicInteger requests = new AtomicInteger();
        private final HttpServer server;
        private final ExecutorService pool = Executors.newFixedThreadPool(4);
        volatile int failFirst;

        static {
            // Nagle off, as the core's HTTP listener has it (HttpListener.NODELAY): the JDK's server reads this once,
            // when the JVM's first server is created, and a receiver may be created before the Herald server
            if (System.getProperty("sun.net.httpserver.nodelay") == null) System.setProperty("sun.net.httpserver.nodelay", "true");
        }

        Receiver(int failFirst) throws IOException {
            this.failFirst = failFirst;
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 50);
            server.setExecutor(pool);
            server.createContext("/", x -> {
                long t = System.nanoTime();
                long wall = System.currentTimeMillis();
                byte[] body = x.getRequestBody().readAllBytes();
                int n = requests.incrementAndGet();
                Received r = new Received(x.getRequestURI().getPath(), Map.copyOf(x.getRequestHeaders()), body, t, wall);
                all.add(r);
                if (n <= this.failFirst) {
                    x.sendResponseHeaders(503, -1);
                } else {
                    got.add(r);
                    x.sendResponseHeaders(204, -1);
                }
                x.close();
            });
            server.start();
        }

        String url() {
            return "http://127.0.0.1:" + server.getAddress().getPort() + "/hook";
        }

        @Override
        public void close() {
            server.stop(0);
            pool.shutdownNow();
        }
    }

    /**
     * A receiver that never answers: it listens but never accepts, so connections complete in the kernel's backlog and
     * the request waits for a reply that never comes (then, when the backlog is full, connecting hangs too).
     */
    static final class Silent implements AutoCloseable {
        private final ServerSocket socket;

        Silent() throws IOException {
            socket = new ServerSocket(0, 4, java.net.InetAddress.getLoopbackAddress());
        }

        String url() {
            return "http://127.0.0.1:" + socket.getLocalPort() + "/hook";
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    /** One SSE event as a client parsed it (id, event, data). */
    record SseEvent(String id, String event, String data, long nanos) { }

    /** A real HTTP client reading an event stream line by line (java.net.http). */
    static final class SseClient implements AutoCloseable {
        final BlockingQueue<SseEvent> events = new LinkedBlockingQueue<>();
        final List<String> comments = new CopyOnWriteArrayList<>();
        final int status;
        /** The response's headers (e.g. {@code WWW-Authenticate} of a 401). */
        final java.net.http.HttpHeaders headers;
        private final Thread reader;
        private final Stream<String> lines;

        SseClient(String url, String authorization, String lastEventId) throws Exception {
            this(HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build(), url, authorization, lastEventId);
        }

        /** With a client of the test's own (e.g. one that trusts the server's self-signed certificate). */
        SseClient(HttpClient client, String url, String authorization, String lastEventId) throws Exception {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).header("Accept", "text/event-stream");
            if (authorization != null) b.header("Authorization", authorization);
            if (lastEventId != null) b.header("Last-Event-ID", lastEventId);
            HttpResponse<Stream<String>> r = client.send(b.build(), HttpResponse.BodyHandlers.ofLines());
            status = r.statusCode();
            headers = r.headers();
            lines = r.body();
            reader = new Thread(() -> {
                String id = null, event = null;
                StringBuilder data = new StringBuilder();
                try {
                    for (String line : (Iterable<String>) lines::iterator) {
                        if (line.isEmpty()) {
                            if (data.length() > 0) events.add(new SseEvent(id, event, data.toString(), System.nanoTime()));
                            id = null;
                            event = null;
                            data.setLength(0);
                        } else if (line.startsWith(":")) comments.add(line);
                        else if (line.startsWith("id: ")) id = line.substring(4);
                        else if (line.startsWith("event: ")) event = line.substring(7);
                        else if (line.startsWith("data: ")) data.append(line.substring(6));
                    }
                } catch (RuntimeException closed) {
                    // the stream was closed (by us or the server)
                }
            }, "sse-client");
            reader.setDaemon(true);
            reader.start();
        }

        @Override
        public void close() {
            lines.close();
        }
    }

    /** An SMTP client session on a socket; {@link #send} returns the reply to the end of data. */
    static final class Smtp implements AutoCloseable {
        private final Socket socket;
        private final BufferedReader in;
        private final OutputStream out;
        /** When the last end of data was written. */
        long endOfData;

        Smtp(int port) throws IOException {
            socket = new Socket("127.0.0.1", port);
            socket.setSoTimeout(60_000);
            socket.setTcpNoDelay(true);
            in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.ISO_8859_1));
            out = socket.getOutputStream();
            reply();
            command("EHLO client.herald.test");
        }

        String command(String line) throws IOException {
            out.write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            return reply();
        }

        String reply() throws IOException {
            String line;
            do {
                line = in.readLine();
                if (line == null) throw new IOException("connection closed");
            } while (line.length() > 3 && line.charAt(3) == '-');
            return line;
        }

        String send(String from, String to, String subject) throws IOException {
            String r = command("MAIL FROM:<" + from + ">");
            if (!r.startsWith("250")) return r;
            r = command("RCPT TO:<" + to + ">");
            if (!r.startsWith("250")) return r;
            r = command("DATA");
            if (!r.startsWith("354")) return r;
            String msg = "From: <" + from + ">\r\nTo: <" + to + ">\r\nSubject: " + subject + "\r\n\r\nDo you want to build a snowman?\r\n";
            out.write(msg.getBytes(StandardCharsets.UTF_8));
            out.write(".\r\n".getBytes(StandardCharsets.US_ASCII));
            endOfData = System.nanoTime();
            out.flush();
            return reply();
        }

        @Override
        public void close() throws IOException {
            try {
                command("QUIT");
            } catch (IOException e) {
                // closing anyway
            }
            socket.close();
        }
    }

    static String read(InputStream in) throws IOException {
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
}
