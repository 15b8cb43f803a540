package io.herald.smtp;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A raw SMTP client for tests: writes exactly the bytes it is given and reads replies (multi-line aware).
 *
 * <p>It reads replies like the SDK's {@code io.herald.testkit.smtp.SmtpClient}, but cannot use it: sdk/testkit depends
 * on framework (it boots a real server), so framework's tests depending on sdk/testkit would make a reactor cycle. It
 * is also deliberately lax (any line whose fourth character is not '-' ends a reply) where the testkit's refuses what
 * is not a reply, because the tests here look at what the server sends to hostile input.
 */
final class SmtpTestClient implements AutoCloseable {

    record Reply(int code, List<String> lines) {
        String last() { return lines.get(lines.size() - 1); }

        /** The enhanced status code of the last line, or null. */
        String enhanced() {
            String t = last().substring(4);
            int sp = t.indexOf(' ');
            String first = sp < 0 ? t : t.substring(0, sp);
            return first.matches("[245]\\.\\d{1,3}\\.\\d{1,3}") ? first : null;
        }

        String text() { return String.join("\n", lines); }
    }

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    SmtpTestClient(int port) throws IOException {
        this(port, null, 0);
    }

    /**
     * A client from a given loopback source address (e.g. {@code 127.0.0.2}: Linux routes all of 127/8 to lo), with a
     * receive buffer of {@code receiveBuffer} octets (0: the system's default).
     */
    SmtpTestClient(int port, String localAddress, int receiveBuffer) throws IOException {
        socket = new Socket();
        if (receiveBuffer > 0) socket.setReceiveBufferSize(receiveBuffer);
        if (localAddress != null) socket.bind(new java.net.InetSocketAddress(localAddress, 0));
        socket.connect(new java.net.InetSocketAddress("127.0.0.1", port), 15_000);
        socket.setSoTimeout(15_000);
        socket.setTcpNoDelay(true);
        in = new java.io.BufferedInputStream(socket.getInputStream());
        out = socket.getOutputStream();
    }

    void send(String s) throws IOException {
        send(s.getBytes(StandardCharsets.UTF_8));
    }

    void send(byte[] b) throws IOException {
        out.write(b);
        out.flush();
    }

    Reply command(String line) throws IOException {
        send(line + "\r\n");
        return reply();
    }

    Reply reply() throws IOException {
        List<String> lines = new ArrayList<>();
        while (true) {
            String line = line();
            if (line == null) throw new IOException("connection closed; lines so far: " + lines);
            lines.add(line);
            if (line.length() < 4 || line.charAt(3) == ' ') return new Reply(Integer.parseInt(line.substring(0, 3)), lines);
        }
    }

    /** True when the server closed the connection (after any pending replies were read). */
    boolean closedByServer() throws IOException {
        try {
            return in.read() == -1;
        } catch (SocketException e) {
            return true;
        }
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
        return null;
    }

    /** The raw output stream, for floods written without reading. */
    OutputStream output() {
        return out;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
