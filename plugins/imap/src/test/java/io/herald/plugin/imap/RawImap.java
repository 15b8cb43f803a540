package io.herald.plugin.imap;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;

/** A byte-level IMAP client for protocol tests: sends exactly what it is told, reads responses with their literals. */
final class RawImap implements AutoCloseable {

    private Socket socket;
    private InputStream in;
    private OutputStream out;

    RawImap(int port) throws IOException {
        this(port, null);
    }

    /** A connection from the local address {@code from} (e.g. 127.0.0.2; null: the system's choice). */
    RawImap(int port, String from) throws IOException {
        socket = from == null ? new Socket("127.0.0.1", port)
                : new Socket(java.net.InetAddress.getByName("127.0.0.1"), port, java.net.InetAddress.getByName(from), 0);
        socket.setSoTimeout(20_000);
        in = new BufferedInputStream(socket.getInputStream());
        out = socket.getOutputStream();
    }

    static RawImap implicitTls(int port) throws Exception {
        return implicitTls(port, null);
    }

    static RawImap implicitTls(int port, String from) throws Exception {
        RawImap c = new RawImap(port, from);
        c.upgrade();
        return c;
    }

    /** Puts TLS on the connection (after STARTTLS's OK, or at once for implicit TLS). */
    void upgrade() throws Exception {
        SSLSocket tls = (SSLSocket) trustAll().getSocketFactory().createSocket(socket, "localhost", socket.getPort(), true);
        tls.setUseClientMode(true);
        tls.startHandshake();
        socket = tls;
        in = new BufferedInputStream(tls.getInputStream());
        out = tls.getOutputStream();
    }

    static SSLContext trustAll() throws Exception {
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, new TrustManager[] {new X509TrustManager() {
            @Override public void checkClientTrusted(X509Certificate[] c, String a) { }
            @Override public void checkServerTrusted(X509Certificate[] c, String a) { }
            @Override public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
        }}, null);
        return ctx;
    }

    void send(String s) throws IOException {
        send(s.getBytes(StandardCharsets.UTF_8));
    }

    void send(byte[] b) throws IOException {
        out.write(b);
        out.flush();
    }

    /** One response line with its literals inlined (the literal octets as ISO-8859-1 text), without the final CRLF. */
    String line() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        while (true) {
            int c = in.read();
            if (c == -1) {
                if (b.size() == 0) return null;
                break;
            }
            if (c == '\n') {
                byte[] soFar = b.toByteArray();
                int n = soFar.length;
                if (n > 0 && soFar[n - 1] == '\r') n--;
                String text = new String(soFar, 0, n, StandardCharsets.ISO_8859_1);
                int brace = text.lastIndexOf('{');
                if (text.endsWith("}") && brace >= 0 && text.substring(brace + 1, text.length() - 1).matches("\\d+")) {
                    int len = Integer.parseInt(text.substring(brace + 1, text.length() - 1));
                    b.reset();
                    b.write(soFar, 0, n);
                    b.write('\r');
                    b.write('\n');
                    b.write(in.readNBytes(len));
                    continue;
                }
                return text;
            }
            b.write(c);
        }
        return new String(b.toByteArray(), StandardCharsets.ISO_8859_1);
    }

    /** Lines up to and including the tagged one. */
    List<String> until(String tag) throws IOException {
        List<String> lines = new ArrayList<>();
        while (true) {
            String l = line();
            if (l == null) throw new IOException("connection closed; so far: " + lines);
            lines.add(l);
            if (l.startsWith(tag + " ")) return lines;
        }
    }

    /** Sends a command and returns the response lines, the tagged one last. */
    List<String> cmd(String tag, String command) throws IOException {
        send(tag + " " + command + "\r\n");
        return until(tag);
    }

    static String last(List<String> lines) {
        return lines.get(lines.size() - 1);
    }

    /** True when the server closed the connection (EOF) within the socket timeout. */
    boolean closedByServer() throws IOException {
        try {
            while (true) {
                int c = in.read();
                if (c == -1) return true;
            }
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;   // reset
        }
    }

    void timeout(int millis) throws IOException {
        socket.setSoTimeout(millis);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
