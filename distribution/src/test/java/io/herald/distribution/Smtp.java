package io.herald.distribution;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** A small SMTP client session on a plain socket, returning whole replies ("250 2.1.0 ok"), for the ITs. */
final class Smtp implements AutoCloseable {

    private final Socket socket;
    private final BufferedReader in;
    private final OutputStream out;

    Smtp(int port) throws IOException {
        socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(30_000);
        in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.ISO_8859_1));
        out = socket.getOutputStream();
        expect(reply(), "2");
        expect(command("EHLO client.herald.test"), "2");
    }

    String command(String line) throws IOException {
        out.write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return reply();
    }

    String reply() throws IOException {
        StringBuilder r = new StringBuilder();
        String line;
        do {
            line = in.readLine();
            if (line == null) throw new IOException("connection closed after: " + r);
            r.append(line).append('\n');
        } while (line.length() > 3 && line.charAt(3) == '-');
        return line;
    }

    /** The whole transaction; returns the reply to the end of data, or the first reply that is not positive. */
    String send(String from, List<String> to, byte[] message) throws IOException {
        String r = command("MAIL FROM:<" + from + ">");
        if (!r.startsWith("2")) return r;
        for (String rcpt : to) {
            r = command("RCPT TO:<" + rcpt + ">");
            if (!r.startsWith("2")) {
                command("RSET");
                return r;
            }
        }
        r = command("DATA");
        if (!r.startsWith("3")) return r;
        out.write(DistributionIT.SmtpClient.dotStuff(message));
        out.write(".\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return reply();
    }

    /** After 354: the message (dot-stuffed here) and the end of data; returns the reply to the end of data. */
    String data(byte[] message) throws IOException {
        out.write(DistributionIT.SmtpClient.dotStuff(message));
        out.write(".\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return reply();
    }

    static void expect(String reply, String prefix) throws IOException {
        if (!reply.startsWith(prefix)) throw new IOException("unexpected reply: " + reply);
    }

    @Override
    public void close() throws IOException {
        try {
            command("QUIT");
        } catch (IOException ignored) {
            // closing anyway
        }
        socket.close();
    }
}
