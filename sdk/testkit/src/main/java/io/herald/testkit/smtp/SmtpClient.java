package io.herald.testkit.smtp;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * A small SMTP client for tests that returns every reply as it came ({@link Reply}: code, enhanced code, text), so
 * a test can assert on exactly what a plugin made the server say. It speaks RFC 5321 with STARTTLS (RFC 3207),
 * implicit TLS (RFC 8314) and AUTH PLAIN / LOGIN (RFC 4954, 4616), and writes exactly what it is given otherwise.
 *
 * <pre>{@code
 * try (SmtpClient smtp = SmtpClient.connect(address)) {
 *     smtp.ehlo("client.example");
 *     Reply r = smtp.send("elsa@herald.test", List.of("olaf@herald.test"), message).last();
 *     assertThat(r.code()).isEqualTo(250);
 * }
 * }</pre>
 *
 * Not thread-safe: one session, one thread. Every read has a time limit (30 s by default), so a server that does not
 * answer fails the test instead of hanging it.
 */
public final class SmtpClient implements AutoCloseable {

    /** The replies of one transaction, in order; the last is the one that decided it. */
    public record Transaction(List<Reply> replies) {
        public Transaction {
            replies = List.copyOf(replies);
        }

        /** The reply that ended the transaction: to the end of data when it got that far, else the first refusal. */
        public Reply last() {
            return replies.get(replies.size() - 1);
        }

        /** True when the message was accepted (the reply to the end of data is 2xx). */
        public boolean accepted() {
            return replies.size() >= 3 && last().isPositive() && replies.get(replies.size() - 2).code() == 354;
        }
    }

    private final SSLContext tls;
    private final InetSocketAddress address;
    private Socket socket;
    private InputStream in;
    private OutputStream out;
    private final Reply greeting;
    private Reply lastEhlo;

    private SmtpClient(InetSocketAddress address, SSLContext tls, boolean implicitTls, int timeoutMillis) throws IOException {
        this.address = address;
        this.tls = tls;
        Socket plain = new Socket();
        try {
            plain.connect(address, timeoutMillis);
            plain.setSoTimeout(timeoutMillis);
            plain.setTcpNoDelay(true);
            socket = implicitTls ? handshake(plain) : plain;
        } catch (IOException e) {
            plain.close();
            throw e;
        }
        in = new BufferedInputStream(socket.getInputStream());
        out = socket.getOutputStream();
        greeting = reply();
    }

    /** Connects without TLS and reads the greeting. STARTTLS then trusts the JVM's default trust store. */
    public static SmtpClient connect(InetSocketAddress address) throws IOException {
        return new SmtpClient(address, null, false, 30_000);
    }

    /** Connects without TLS; STARTTLS trusts {@code tls}'s trust managers (see {@link #trusting}). */
    public static SmtpClient connect(InetSocketAddress address, SSLContext tls) throws IOException {
        return new SmtpClient(address, tls, false, 30_000);
    }

    /** Connects with implicit TLS (the submissions port, RFC 8314) and reads the greeting inside TLS. */
    public static SmtpClient connectTls(InetSocketAddress address, SSLContext tls) throws IOException {
        return new SmtpClient(address, tls, true, 30_000);
    }

    /** A TLS client context that trusts exactly these certificates (a test server's self-signed one). */
    public static SSLContext trusting(X509Certificate... certificates) {
        try {
            KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
            trust.load(null, null);
            for (int i = 0; i < certificates.length; i++) trust.setCertificateEntry("trusted-" + i, certificates[i]);
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot build a TLS context trusting the given certificates", e);
        }
    }

    /** The server's greeting (220 normally; a hook may have refused the connection with 554). */
    public Reply greeting() {
        return greeting;
    }

    /** EHLO; the reply's lines after the first are the extensions ({@code STARTTLS}, {@code AUTH PLAIN LOGIN}, ...). */
    public Reply ehlo(String domain) throws IOException {
        lastEhlo = command("EHLO " + domain);
        return lastEhlo;
    }

    public Reply helo(String domain) throws IOException {
        return command("HELO " + domain);
    }

    /** True when the last EHLO reply announced the extension (case-insensitive, first word of a line). */
    public boolean supports(String extension) {
        if (lastEhlo == null) return false;
        for (String line : lastEhlo.lines().subList(1, lastEhlo.lines().size())) {
            String first = line.split(" ", 2)[0];
            if (first.equalsIgnoreCase(extension)) return true;
        }
        return false;
    }

    /**
     * STARTTLS, and on 220 the TLS handshake (verifying the server's certificate, not its host name: tests connect to
     * 127.0.0.1). The client must say EHLO again afterwards (RFC 3207 §4.2); this method does not.
     */
    public Reply starttls() throws IOException {
        Reply r = command("STARTTLS");
        if (r.code() == 220) {
            socket = handshake(socket);
            in = new BufferedInputStream(socket.getInputStream());
            out = socket.getOutputStream();
            lastEhlo = null;
        }
        return r;
    }

    /** AUTH PLAIN with an initial response (RFC 4616): {@code \0user\0password} in base64. */
    public Reply authPlain(String user, String password) throws IOException {
        String token = Base64.getEncoder().encodeToString(("\0" + user + "\0" + password).getBytes(StandardCharsets.UTF_8));
        return command("AUTH PLAIN " + token);
    }

    /** AUTH LOGIN: user name and password each after a 334 challenge. */
    public Reply authLogin(String user, String password) throws IOException {
        Reply r = command("AUTH LOGIN");
        if (r.code() != 334) return r;
        r = command(Base64.getEncoder().encodeToString(user.getBytes(StandardCharsets.UTF_8)));
        if (r.code() != 334) return r;
        return command(Base64.getEncoder().encodeToString(password.getBytes(StandardCharsets.UTF_8)));
    }

    /** {@code MAIL FROM:<from>}; an empty {@code from} is the null reverse-path {@code <>}. */
    public Reply mail(String from) throws IOException {
        return command("MAIL FROM:<" + from + ">");
    }

    public Reply rcpt(String to) throws IOException {
        return command("RCPT TO:<" + to + ">");
    }

    /**
     * DATA; on 354 the message (CRLF line ends expected; bare LF is converted), dot-stuffed (RFC 5321 §4.5.2), and the
     * final dot. Returns the reply to DATA when it is not 354, else the reply to the end of data.
     */
    public Reply data(byte[] message) throws IOException {
        Reply r = command("DATA");
        if (r.code() != 354) return r;
        out.write(dotStuff(message));
        out.write(".\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return reply();
    }

    /**
     * One whole transaction: MAIL, each RCPT, DATA and the message. Stops at the first refused MAIL, at DATA when
     * every recipient was refused, or at a refused DATA (and sends RSET then, so the session can go on).
     */
    public Transaction send(String from, List<String> to, byte[] message) throws IOException {
        List<Reply> replies = new ArrayList<>();
        Reply r = mail(from);
        replies.add(r);
        if (!r.isPositive()) return new Transaction(replies);
        boolean anyAccepted = false;
        for (String rcpt : to) {
            r = rcpt(rcpt);
            replies.add(r);
            anyAccepted |= r.isPositive();
        }
        if (!anyAccepted) {
            rset();
            return new Transaction(replies);
        }
        r = command("DATA");
        replies.add(r);
        if (r.code() != 354) {
            rset();
            return new Transaction(replies);
        }
        out.write(dotStuff(message));
        out.write(".\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        replies.add(reply());
        return new Transaction(replies);
    }

    /** {@link #send(String, List, byte[])} with a message given as text (UTF-8). */
    public Transaction send(String from, List<String> to, String message) throws IOException {
        return send(from, to, message.getBytes(StandardCharsets.UTF_8));
    }

    public Reply rset() throws IOException {
        return command("RSET");
    }

    public Reply noop() throws IOException {
        return command("NOOP");
    }

    /** QUIT and the 221; the connection is then closed by both sides. */
    public Reply quit() throws IOException {
        return command("QUIT");
    }

    /** Sends one command line (CRLF added) and reads its reply. */
    public Reply command(String line) throws IOException {
        write((line + "\r\n").getBytes(StandardCharsets.UTF_8));
        return reply();
    }

    /** Writes raw bytes, exactly as given (for malformed input tests). */
    public void write(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /** Reads one reply (all lines of a multi-line reply). */
    public Reply reply() throws IOException {
        List<String> lines = new ArrayList<>();
        int code = -1;
        while (true) {
            String line = line();
            if (line == null) throw new IOException("connection closed by the server" + (lines.isEmpty() ? "" : " after: " + lines));
            if (line.length() < 3 || !line.substring(0, 3).chars().allMatch(Character::isDigit)) {
                throw new IOException("not an SMTP reply line: " + line);
            }
            int c = Integer.parseInt(line.substring(0, 3));
            if (code >= 0 && c != code) throw new IOException("reply code changed within a multi-line reply: " + line);
            code = c;
            boolean more = line.length() > 3 && line.charAt(3) == '-';
            lines.add(line.length() > 4 ? line.substring(4) : "");
            if (!more) return new Reply(code, lines);
        }
    }

    /** True when the server has closed the connection (reads ahead; call it only when no reply is due). */
    public boolean closedByServer() throws IOException {
        try {
            return in.read() == -1;
        } catch (SocketException e) {
            return true;
        }
    }

    /** True while the session runs over TLS (implicit or after STARTTLS). */
    public boolean isEncrypted() {
        return socket instanceof SSLSocket;
    }

    public InetSocketAddress address() {
        return address;
    }

    /** Closes the connection without QUIT. */
    @Override
    public void close() throws IOException {
        socket.close();
    }

    private SSLSocket handshake(Socket plain) throws IOException {
        SSLContext ctx = tls;
        if (ctx == null) {
            try {
                ctx = SSLContext.getDefault();
            } catch (GeneralSecurityException e) {
                throw new IOException("no default TLS context", e);
            }
        }
        SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(plain, address.getHostString(), address.getPort(), true);
        s.setUseClientMode(true);
        s.startHandshake();
        return s;
    }

    private String line() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) != -1) {
            if (c == '\n') {
                byte[] bytes = b.toByteArray();
                int n = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                return new String(bytes, 0, n, StandardCharsets.UTF_8);
            }
            b.write(c);
        }
        return b.size() == 0 ? null : b.toString(StandardCharsets.UTF_8);
    }

    /** CRLF line ends (a bare LF becomes CRLF), a leading dot doubled, and a final CRLF when missing. */
    static byte[] dotStuff(byte[] message) {
        ByteArrayOutputStream o = new ByteArrayOutputStream(message.length + 64);
        boolean lineStart = true;
        for (int i = 0; i < message.length; i++) {
            byte c = message[i];
            if (lineStart && c == '.') o.write('.');
            if (c == '\n' && (i == 0 || message[i - 1] != '\r')) o.write('\r');
            o.write(c);
            lineStart = c == '\n';
        }
        if (!lineStart) o.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
        return o.toByteArray();
    }
}
