package io.herald.plugin.imap;

import io.herald.api.mailbox.MailboxStore;
import io.herald.server.HeraldServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

/**
 * A real Herald server on the plain-Java host for the IMAP tests: the core (SMTP, queue, delivery, TLS, SASL) and
 * the plugins on the test class path (mailbox-lucene, route-local, auth-file and this IMAP plugin), every listener
 * on a free loopback port, the demo users elsa and olaf.
 */
final class TestServer implements AutoCloseable {

    static final String ELSA = "elsa@herald.test";
    static final String OLAF = "olaf@herald.test";
    static final String ELSA_PW = "Elsa-pw-1234";
    static final String OLAF_PW = "Olaf-pw-5678";
    static final Path CORPUS = Path.of(System.getProperty("herald.corpus", "../../../shared/corpus"));

    final HeraldServer server;
    final MailboxStore store;

    TestServer(Path home, String... imapKeyValues) throws IOException {
        HeraldServer.Builder b = HeraldServer.builder().home(home)
                .set("smtp", "port", "0").set("submission", "port", "0").set("submissions", "port", "0")
                .set("smtp", "maxLineLength", "0")
                .set("auth-file", "iterations", "4096")
                .set("imap", "port", "0").set("imap", "tls.port", "0")
                .discoverPlugins();
        for (int i = 0; i < imapKeyValues.length; i += 2) {
            String[] pk = imapKeyValues[i].split("\\.", 2);
            b.set(pk[0], pk[1], imapKeyValues[i + 1]);
        }
        server = b.start();
        store = server.mailboxStore();
        try {
            store.create(ELSA);
            store.create(OLAF);
            server.ensureUsers(Map.of(ELSA, ELSA_PW, OLAF, OLAF_PW));
        } catch (Exception e) {
            server.close();
            throw new IOException(e);
        }
    }

    int imapPort() { return server.endpoint("imap").getPort(); }

    int imapsPort() { return server.endpoint("imaps").getPort(); }

    /** Sends one message over SMTP (the MTA listener) and waits until it is delivered. */
    void smtp(String from, String to, byte[] message) throws Exception {
        try (Socket s = new Socket("127.0.0.1", server.smtpPort())) {
            s.setSoTimeout(30_000);
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            expect(in, "220");
            for (String cmd : new String[] {"EHLO test.example", "MAIL FROM:<" + from + ">", "RCPT TO:<" + to + ">", "DATA"}) {
                out.write((cmd + "\r\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                expect(in, cmd.equals("DATA") ? "354" : cmd.startsWith("EHLO") ? "250 " : "250");
            }
            out.write(dotStuff(message));
            out.write(".\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            expect(in, "250");
            out.write("QUIT\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        server.awaitIdle(java.time.Duration.ofSeconds(30));
    }

    /** CRLF line ends (bare LF turned into CRLF, as a mail client would send), dot-stuffed, ending in CRLF. */
    static byte[] dotStuff(byte[] m) {
        java.io.ByteArrayOutputStream o = new java.io.ByteArrayOutputStream(m.length + 100);
        boolean lineStart = true;
        for (int i = 0; i < m.length; i++) {
            byte c = m[i];
            if (lineStart && c == '.') o.write('.');
            if (c == '\n' && (i == 0 || m[i - 1] != '\r')) o.write('\r');
            if (c == '\r' && (i + 1 >= m.length || m[i + 1] != '\n')) { o.write('\r'); o.write('\n'); lineStart = true; continue; }
            o.write(c);
            lineStart = c == '\n';
        }
        if (!lineStart) { o.write('\r'); o.write('\n'); }
        return o.toByteArray();
    }

    /** What SMTP stores for a message sent with {@link #smtp}: the CRLF form, without the dot-stuffing. */
    static byte[] crlf(byte[] m) {
        byte[] stuffed = dotStuff(m);
        java.io.ByteArrayOutputStream o = new java.io.ByteArrayOutputStream(stuffed.length);
        boolean lineStart = true;
        for (byte c : stuffed) {
            if (lineStart && c == '.') { lineStart = false; continue; }
            o.write(c);
            lineStart = c == '\n';
        }
        return o.toByteArray();
    }

    private static void expect(InputStream in, String prefix) throws IOException {
        while (true) {
            StringBuilder line = new StringBuilder();
            int c;
            while ((c = in.read()) != -1 && c != '\n') line.append((char) c);
            if (c == -1) throw new IOException("SMTP connection closed, expected " + prefix);
            String l = line.toString().trim();
            if (l.length() >= 4 && l.charAt(3) == '-') continue;
            if (!l.startsWith(prefix.trim())) throw new IOException("SMTP: expected " + prefix + ", got " + l);
            return;
        }
    }

    @Override
    public void close() {
        server.close();
    }

    InetSocketAddress imapAddress() {
        return server.endpoint("imap");
    }
}
