package io.herald.outbound;

import org.apache.mina.core.buffer.IoBuffer;
import org.apache.mina.core.future.ConnectFuture;
import org.apache.mina.core.future.WriteFuture;
import org.apache.mina.core.service.IoHandlerAdapter;
import org.apache.mina.core.session.AttributeKey;
import org.apache.mina.core.session.IoSession;
import org.apache.mina.filter.FilterEvent;
import org.apache.mina.filter.ssl.SslEvent;
import org.apache.mina.filter.ssl.SslFilter;
import org.apache.mina.transport.socket.nio.NioSocketConnector;

import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * One outbound SMTP connection on a MINA {@link NioSocketConnector}, used by one thread at a time in a blocking
 * style: {@link #send} a command, {@link #read} the next reply with a time limit. The connector's I/O threads only
 * parse replies ({@link ReplyReader}) into this connection's inbox; nothing slow runs on them.
 *
 * <p>A time-out, a malformed reply or a closed connection is an {@link IOException}; after one the connection is
 * {@link #broken()} and must not be reused.
 */
final class SmtpConnection implements AutoCloseable {

    private static final AttributeKey CONNECTION = new AttributeKey(SmtpConnection.class, "connection");
    private static final Object CLOSED = new Object();
    private static final Object SECURED = new Object();
    /** Writes beyond this many queued octets wait for the network (a message is never whole in memory). */
    private static final long WRITE_BACKLOG = 256 * 1024;

    private final LinkedBlockingQueue<Object> inbox = new LinkedBlockingQueue<>();
    private final ReplyReader reader = new ReplyReader();
    private final InetSocketAddress remote;
    private volatile IoSession io;
    private volatile boolean broken;
    private boolean tls;

    private SmtpConnection(InetSocketAddress remote) {
        this.remote = remote;
    }

    /** The handler to set on the connector that makes connections with {@link #connect}. */
    static IoHandlerAdapter handler() {
        return new Handler();
    }

    /**
     * Opens a TCP connection; the greeting is the first {@link #read}.
     *
     * @throws IOException when the connection cannot be made within the time limit
     */
    static SmtpConnection connect(NioSocketConnector connector, InetSocketAddress remote, java.util.Optional<java.net.InetAddress> bind,
                                  Duration timeout) throws IOException {
        SmtpConnection c = new SmtpConnection(remote);
        ConnectFuture f = bind.isPresent()
                ? connector.connect(remote, new InetSocketAddress(bind.get(), 0), (session, future) -> session.setAttribute(CONNECTION, c))
                : connector.connect(remote, (session, future) -> session.setAttribute(CONNECTION, c));
        if (!f.awaitUninterruptibly(timeout.toMillis())) {
            f.cancel();
            throw new SmtpTimeoutException("no connection to " + remote + " within " + timeout);
        }
        if (!f.isConnected()) {
            Throwable t = f.getException();
            throw new IOException("cannot connect to " + remote + ": " + (t == null ? "failed" : t.getMessage()), t);
        }
        c.io = f.getSession();
        return c;
    }

    InetSocketAddress remote() { return remote; }

    boolean tls() { return tls; }

    boolean broken() { return broken || io == null || !io.isConnected() || io.isClosing(); }

    /** The next reply, waiting at most {@code timeout}. */
    Reply read(Duration timeout) throws IOException {
        Object o;
        try {
            o = inbox.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            broken = true;
            throw new IOException("interrupted while waiting for " + remote);
        }
        if (o instanceof Reply r) return r;
        broken = true;
        if (o == null) throw new SmtpTimeoutException("no reply from " + remote + " within " + timeout);
        if (o == CLOSED) {
            inbox.add(CLOSED);
            throw new IOException("connection closed by " + remote);
        }
        if (o == SECURED) throw new IOException("unexpected TLS event from " + remote);
        inbox.add(o);
        Throwable t = (Throwable) o;
        throw t instanceof IOException io ? new IOException(io.getMessage(), io) : new IOException(t.toString(), t);
    }

    /** Sends one command line (CRLF is added). */
    void send(String command) throws IOException {
        write((command + "\r\n").getBytes(StandardCharsets.UTF_8), Duration.ofMinutes(5));
    }

    /** Sends several command lines in one write (PIPELINING, RFC 2920). */
    void sendAll(java.util.List<String> commands) throws IOException {
        StringBuilder b = new StringBuilder();
        for (String c : commands) b.append(c).append("\r\n");
        write(b.toString().getBytes(StandardCharsets.UTF_8), Duration.ofMinutes(5));
    }

    /**
     * Sends a message's bytes after {@code 354}: dot-stuffed (RFC 5321 §4.5.2), ending with CRLF if it did not,
     * then {@code .CRLF}. Bytes are copied as they are otherwise (a message received by SMTP already has CRLF lines).
     *
     * @param blockTimeout the time limit for each block of data to be taken by the network (§4.5.3.2.5: 3 minutes)
     */
    void sendData(InputStream in, Duration blockTimeout) throws IOException {
        byte[] buf = new byte[32 * 1024];
        boolean lineStart = true;
        byte last = '\n';
        int n;
        while ((n = in.read(buf)) > 0) {
            IoBuffer out = IoBuffer.allocate(n + n / 64 + 16);
            out.setAutoExpand(true);
            for (int i = 0; i < n; i++) {
                byte b = buf[i];
                if (lineStart && b == '.') out.put((byte) '.');
                out.put(b);
                lineStart = b == '\n';
                last = b;
            }
            out.flip();
            writeBuffer(out, blockTimeout);
        }
        byte[] end = last == '\n' ? new byte[] {'.', '\r', '\n'} : new byte[] {'\r', '\n', '.', '\r', '\n'};
        write(end, blockTimeout);
    }

    /** Starts TLS as a client after {@code 220} to STARTTLS, and waits for the handshake. */
    void startTls(SSLContext context, String[] protocols, Duration timeout) throws IOException {
        SslFilter filter = new SslFilter(context);
        filter.setEnabledProtocols(protocols);
        io.getFilterChain().addFirst("tls", filter);
        Object o;
        try {
            o = inbox.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            broken = true;
            throw new IOException("interrupted during the TLS handshake with " + remote);
        }
        if (o != SECURED) {
            broken = true;
            if (o == null) throw new SmtpTimeoutException("TLS handshake with " + remote + " not done within " + timeout);
            if (o instanceof Throwable t) throw new IOException("TLS handshake with " + remote + " failed: " + t.getMessage(), t);
            if (o instanceof Reply r) throw new IOException("reply in plain text after STARTTLS from " + remote + ": " + r);
            throw new IOException("connection closed by " + remote + " during the TLS handshake");
        }
        tls = true;
    }

    private void write(byte[] bytes, Duration timeout) throws IOException {
        writeBuffer(IoBuffer.wrap(bytes), timeout);
    }

    private void writeBuffer(IoBuffer buffer, Duration timeout) throws IOException {
        if (broken()) throw new IOException("connection to " + remote + " is closed");
        WriteFuture f = io.write(buffer);
        if (io.getScheduledWriteBytes() > WRITE_BACKLOG) {
            if (!f.awaitUninterruptibly(timeout.toMillis())) {
                broken = true;
                throw new SmtpTimeoutException("sending to " + remote + " stalled for " + timeout);
            }
            if (!f.isWritten()) {
                broken = true;
                throw new IOException("cannot send to " + remote + ": " + f.getException(), f.getException());
            }
        }
    }

    /** Sends QUIT (best effort, without waiting long) and closes. */
    void quit() {
        if (!broken()) {
            try {
                send("QUIT");
                read(Duration.ofSeconds(2));
            } catch (IOException e) {
                // closing anyway
            }
        }
        close();
    }

    @Override
    public void close() {
        broken = true;
        if (io != null) io.closeNow();
    }

    @Override
    public String toString() {
        return "SMTP connection to " + remote + (tls ? " (TLS)" : "");
    }

    private static final class Handler extends IoHandlerAdapter {
        @Override
        public void messageReceived(IoSession session, Object message) {
            SmtpConnection c = (SmtpConnection) session.getAttribute(CONNECTION);
            if (c == null) return;
            IoBuffer b = (IoBuffer) message;
            byte[] bytes = new byte[b.remaining()];
            b.get(bytes);
            try {
                c.reader.feed(bytes, 0, bytes.length, c.inbox::add);
            } catch (ReplyReader.MalformedReplyException e) {
                c.broken = true;
                c.inbox.add(e);
                session.closeNow();
            }
        }

        @Override
        public void event(IoSession session, FilterEvent event) {
            SmtpConnection c = (SmtpConnection) session.getAttribute(CONNECTION);
            if (c != null && event == SslEvent.SECURED) c.inbox.add(SECURED);
        }

        @Override
        public void exceptionCaught(IoSession session, Throwable cause) {
            SmtpConnection c = (SmtpConnection) session.getAttribute(CONNECTION);
            if (c != null) {
                c.broken = true;
                c.inbox.add(cause);
            }
            session.closeNow();
        }

        @Override
        public void sessionClosed(IoSession session) {
            SmtpConnection c = (SmtpConnection) session.getAttribute(CONNECTION);
            if (c != null) {
                c.broken = true;
                c.inbox.add(CLOSED);
            }
        }
    }

    /** No reply, connection or progress within a time limit. */
    static final class SmtpTimeoutException extends IOException {
        SmtpTimeoutException(String message) {
            super(message);
        }
    }
}
