package io.herald.plugin.imap;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxy;
import ch.qos.logback.core.read.ListAppender;
import io.herald.api.mailbox.FlagOp;
import io.herald.api.mailbox.MailboxException;
import io.herald.api.mailbox.MailboxStore;
import io.herald.api.mailbox.StoredMessage;
import io.herald.api.mailbox.UidSet;
import io.herald.api.protocol.ServerTls;
import io.herald.config.ConfigStore;
import org.apache.mina.core.buffer.IoBuffer;
import org.apache.mina.core.filterchain.IoFilterAdapter;
import org.apache.mina.core.session.DummySession;
import org.apache.mina.core.session.IoSession;
import org.apache.mina.core.write.WriteRequest;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLContext;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

/**
 * Drives real {@link ImapSession}s without a network, for the fuzz tests and the parser regression tests: a real
 * Herald ({@link TestServer}) provides the Lucene store with a few messages in elsa's INBOX (a text message, a
 * multipart one with an attached message) and a folder hierarchy; an {@link ImapServer} of its own (no listener, one
 * worker thread, small limits so that short inputs reach them) runs sessions over a MINA {@link DummySession} whose
 * writes are captured. The store is seen read-only (every change is refused with {@code NO}, after the command was
 * parsed), so every input meets the same mailbox and a crash reproduces.
 *
 * <p>{@link #run} feeds the octets to a session already in the selected state (SELECT or EXAMINE INBOX), waits for the
 * worker (bounded: a command that does not finish within {@link #TIME_LIMIT_SECONDS} is a failure), and rethrows what
 * the session caught as an internal error (the exception it logs before answering {@code * BYE Internal server
 * error}): the invariant is that a command either runs or gets a tagged {@code BAD}, never an unexpected exception.
 */
final class OfflineImap implements AutoCloseable {

    static final int MAX_COMMAND = 1024;   // the smallest maxCommandLength the settings allow
    static final int MAX_LITERAL = 2048;
    static final long TIME_LIMIT_SECONDS = 20;

    static final byte[] TEXT = """
            From: Olaf <olaf@herald.test>\r
            To: Elsa <elsa@herald.test>\r
            Subject: snowman\r
            Date: Fri, 4 Dec 2026 08:00:00 +0000\r
            Message-ID: <one@herald.test>\r
            \r
            Some people are worth melting for.\r
            """.getBytes(StandardCharsets.US_ASCII);

    static final byte[] MULTIPART = """
            From: Elsa <elsa@herald.test>\r
            To: Anna <anna@herald.test>, olaf@herald.test\r
            Cc: "Kristoff" <kristoff@herald.test>\r
            Subject: =?UTF-8?Q?Schl=C3=BCssel?=\r
            Date: Thu, 3 Dec 2026 10:00:00 +0100\r
            MIME-Version: 1.0\r
            Content-Type: multipart/mixed; boundary="b1"\r
            \r
            preamble\r
            --b1\r
            Content-Type: text/plain; charset=utf-8\r
            Content-Transfer-Encoding: quoted-printable\r
            \r
            Gr=C3=BC=C3=9Fe\r
            --b1\r
            Content-Type: message/rfc822\r
            \r
            From: anna@herald.test\r
            Subject: inner\r
            Content-Type: multipart/alternative; boundary="b2"\r
            \r
            --b2\r
            Content-Type: text/plain\r
            \r
            inner text\r
            --b2\r
            Content-Type: text/html\r
            \r
            <p>inner html</p>\r
            --b2--\r
            --b1\r
            Content-Type: application/octet-stream; name="a.bin"\r
            Content-Disposition: attachment; filename="a.bin"\r
            Content-Transfer-Encoding: base64\r
            \r
            AAECAwQFBgc=\r
            --b1--\r
            """.getBytes(StandardCharsets.US_ASCII);

    private final Path home;
    private final TestServer herald;
    private final ImapServer imap;
    private final ListAppender<ILoggingEvent> errors = new ListAppender<>();
    private final ch.qos.logback.classic.Logger sessionLog =
            (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(ImapSession.class);
    private long counter;

    private OfflineImap(Path home, int maxCommand) throws Exception {
        this.home = home;
        herald = new TestServer(home);
        try {
            herald.smtp(TestServer.OLAF, TestServer.ELSA, TEXT);
            herald.smtp(TestServer.OLAF, TestServer.ELSA, MULTIPART);
            herald.smtp(TestServer.OLAF, TestServer.ELSA, TEXT);
            MailboxStore store = herald.store;
            store.createFolder(TestServer.ELSA, "Archive");
            store.createFolder(TestServer.ELSA, "Archive/2026");
            store.subscribe(TestServer.ELSA, "Archive", true);
            List<StoredMessage> inbox = store.list(TestServer.ELSA, "INBOX");
            store.storeFlags(TestServer.ELSA, "INBOX", UidSet.of(inbox.get(0).uid()), FlagOp.ADD, Set.of("\\Seen", "\\Flagged", "$Work"));
            ImapServer plugin = herald.server.registry().snapshot().protocolServices().stream()
                    .filter(ImapServer.class::isInstance).map(ImapServer.class::cast).findFirst().orElseThrow();
            imap = new ImapServer(readOnly(store), plugin.logins(), NO_TLS, plugin.spamFeedback(), plugin.notifications(),
                    new ConfigStore.MapConfiguration("imap", Map.of("port", "-1", "tls.port", "-1", "threads", "1",
                            "maxCommandLength", String.valueOf(maxCommand), "maxLiteralSize", String.valueOf(MAX_LITERAL),
                            "maxBadCommands", "100000")));
            imap.start();
        } catch (Exception | Error e) {
            herald.close();
            throw e;
        }
        errors.start();
        sessionLog.addAppender(errors);
    }

    /** With the smallest command length limit ({@link #MAX_COMMAND}), for fuzzing. */
    static OfflineImap start() throws Exception {
        return start(MAX_COMMAND);
    }

    static OfflineImap start(int maxCommandLength) throws Exception {
        return new OfflineImap(Files.createTempDirectory("herald-imap-fuzz"), maxCommandLength);
    }

    /** What the session answered to {@code wire} after {@code SELECT INBOX} ({@code EXAMINE} when {@code readOnly}). */
    String run(boolean readOnly, byte[] wire) throws Throwable {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        DummySession io = new DummySession();
        io.getFilterChain().addFirst("capture", new IoFilterAdapter() {
            @Override
            public void filterWrite(NextFilter next, IoSession session, WriteRequest request) {
                if (request.getMessage() instanceof IoBuffer b) {
                    IoBuffer d = b.duplicate();
                    byte[] bytes = new byte[d.remaining()];
                    d.get(bytes);
                    synchronized (out) { out.writeBytes(bytes); }
                }
                next.filterWrite(session, request);
            }
        });
        ImapSession s = new ImapSession(imap, io, "fuzz-" + (++counter), false);
        s.state = ImapSession.State.AUTHENTICATED;
        s.user = TestServer.ELSA;
        errors.list.clear();
        feed(s, ("s0 " + (readOnly ? "EXAMINE" : "SELECT") + " INBOX\r\n").getBytes(StandardCharsets.US_ASCII));
        feed(s, wire);
        for (ILoggingEvent e : errors.list) {
            if (e.getLevel().isGreaterOrEqual(Level.ERROR)) {
                if (e.getThrowableProxy() instanceof ThrowableProxy p) throw p.getThrowable();
                throw new AssertionError("the session logged an error: " + e.getFormattedMessage());
            }
        }
        synchronized (out) { return out.toString(StandardCharsets.ISO_8859_1); }
    }

    private void feed(ImapSession s, byte[] wire) throws Exception {
        s.received(IoBuffer.wrap(wire));
        try {
            // one worker: this runs after the session's turn (scheduled by received) has ended
            imap.executor().submit(() -> { }).get(TIME_LIMIT_SECONDS, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError("the session took more than " + TIME_LIMIT_SECONDS + " s for "
                    + new String(wire, 0, Math.min(wire.length, 300), StandardCharsets.ISO_8859_1));
        }
    }

    @Override
    public void close() throws IOException {
        sessionLog.detachAppender(errors);
        imap.stop();
        herald.close();
        try (Stream<Path> files = Files.walk(home)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    private static final ServerTls NO_TLS = new ServerTls() {
        @Override public SSLContext context() { throw new IllegalStateException("no TLS in the offline harness"); }
        @Override public List<String> protocols() { return List.of("TLSv1.3"); }
    };

    private static final Set<String> READS = Set.of("exists", "mailboxes", "folders", "list", "content", "folderInfos",
            "folderInfo", "subscriptions", "search", "quota", "changedSince");

    /** The store as a read-only view: reads pass through, every change is refused as a read-only mailbox would. */
    static MailboxStore readOnly(MailboxStore store) {
        return (MailboxStore) Proxy.newProxyInstance(MailboxStore.class.getClassLoader(), new Class<?>[] {MailboxStore.class},
                (proxy, method, args) -> {
                    if (method.getDeclaringClass() != Object.class && !READS.contains(method.getName())) {
                        throw new MailboxException(MailboxException.Reason.READ_ONLY, "the offline harness's store is read-only", false);
                    }
                    try {
                        return method.invoke(store, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }
}
