package io.herald.plugin.imap;

import io.herald.api.mail.MessageContent;
import io.herald.api.mailbox.Folders;
import io.herald.api.mailbox.StoredMessage;
import jakarta.mail.BodyPart;
import jakarta.mail.FetchProfile;
import jakarta.mail.Flags;
import jakarta.mail.Folder;
import jakarta.mail.Message;
import jakarta.mail.Multipart;
import jakarta.mail.Part;
import jakarta.mail.Session;
import jakarta.mail.Store;
import jakarta.mail.event.MessageCountAdapter;
import jakarta.mail.event.MessageCountEvent;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.search.BodyTerm;
import jakarta.mail.search.FromStringTerm;
import org.eclipse.angus.mail.imap.IMAPFolder;
import org.eclipse.angus.mail.imap.IMAPMessage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static io.herald.plugin.imap.TestServer.ELSA;
import static io.herald.plugin.imap.TestServer.OLAF;
import static io.herald.plugin.imap.TestServer.OLAF_PW;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The scripted desktop-client session of issue #8 with Jakarta Mail (Angus IMAP) over TLS: corpus messages
 * delivered over SMTP are listed, their envelopes and body structures fetched, bodies and attachments compared
 * octet for octet with what was sent; then mark seen, move to Junk (learnt as spam), search by sender and by a body
 * word, append to Sent, and IDLE told of a message delivered over SMTP.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DesktopClientTest {

    @TempDir static Path home;
    TestServer server;
    final Map<String, byte[]> sent = new HashMap<>();   // Message-ID → the octets sent over SMTP

    @BeforeAll
    void start() throws Exception {
        server = new TestServer(home);
        List<Path> corpus;
        try (Stream<Path> files = Files.list(TestServer.CORPUS.resolve("real/hunnysoft-mua-samples"))) {
            corpus = files.filter(p -> p.getFileName().toString().endsWith(".eml")).sorted().limit(40).toList();
        }
        assertThat(corpus).hasSizeGreaterThan(30);
        for (Path p : corpus) {
            byte[] m = Files.readAllBytes(p);
            server.smtp("sender@example.org", OLAF, m);
            sent.put(p.getFileName().toString(), TestServer.crlf(m));
        }
    }

    @AfterAll
    void stop() {
        if (server != null) server.close();
    }

    private Store connect(String protocol, int port) throws Exception {
        Properties p = new Properties();
        p.put("mail." + protocol + ".host", "127.0.0.1");
        p.put("mail." + protocol + ".port", String.valueOf(port));
        p.put("mail." + protocol + ".ssl.trust", "*");
        p.put("mail." + protocol + ".ssl.checkserveridentity", "false");
        if (protocol.equals("imap")) p.put("mail.imap.starttls.required", "true");
        p.put("mail." + protocol + ".connectiontimeout", "20000");
        p.put("mail." + protocol + ".timeout", "60000");
        Store store = Session.getInstance(p).getStore(protocol);
        store.connect(OLAF, OLAF_PW);
        return store;
    }

    @Test
    void desktopClientSession() throws Exception {
        for (String protocol : List.of("imap", "imaps")) {   // STARTTLS and implicit TLS
            Store s = connect(protocol, protocol.equals("imap") ? server.imapPort() : server.imapsPort());
            assertThat(s.isConnected()).isTrue();
            s.close();
        }
        Store store = connect("imaps", server.imapsPort());
        try {
            // folders with their special use (RFC 6154)
            Map<String, List<String>> attrs = new HashMap<>();
            for (Folder f : store.getDefaultFolder().list("*")) attrs.put(f.getFullName(), Arrays.asList(((IMAPFolder) f).getAttributes()));
            assertThat(attrs).containsKeys("INBOX", "Sent", "Drafts", "Trash", "Junk");
            assertThat(attrs.get("Sent")).contains("\\Sent");
            assertThat(attrs.get("Junk")).contains("\\Junk");
            assertThat(attrs.get("Trash")).contains("\\Trash");
            assertThat(attrs.get("Drafts")).contains("\\Drafts");

            IMAPFolder inbox = (IMAPFolder) store.getFolder("INBOX");
            inbox.open(Folder.READ_WRITE);
            Message[] messages = inbox.getMessages();
            assertThat(messages).hasSize(sent.size());
            FetchProfile fp = new FetchProfile();
            fp.add(FetchProfile.Item.ENVELOPE);
            fp.add(FetchProfile.Item.CONTENT_INFO);
            fp.add(FetchProfile.Item.FLAGS);
            fp.add(FetchProfile.Item.SIZE);
            inbox.fetch(messages, fp);

            List<StoredMessage> stored = server.store.list(OLAF, Folders.INBOX);
            List<byte[]> originals = new ArrayList<>();
            for (String name : sent.keySet().stream().sorted().toList()) originals.add(sent.get(name));
            int attachments = 0;
            for (int i = 0; i < messages.length; i++) {
                IMAPMessage m = (IMAPMessage) messages[i];
                byte[] original = originals.get(i);
                MimeMessage expected = new MimeMessage(Session.getInstance(new Properties()), new ByteArrayInputStream(original));
                // envelope
                assertThat(m.getSubject()).as("subject of message %d", i + 1).isEqualTo(expected.getSubject());
                // the ENVELOPE is built from the first field of each name (m0010 has a second From: "Should be Ignored")
                assertThat(addresses(m.getFrom())).isEqualTo(first(expected, "From"));
                assertThat(addresses(m.getRecipients(Message.RecipientType.TO))).isEqualTo(first(expected, "To"));
                assertThat(m.getMessageID()).isEqualTo(expected.getMessageID());
                assertThat(m.getSize()).isEqualTo((int) stored.get(i).size());
                // body structure: the same tree of content types
                assertThat(shape(m)).as("structure of message %d", i + 1).isEqualTo(shape(expected));
                // whole message: the stored octets; they end with the octets sent (Herald added trace fields in front)
                ByteArrayOutputStream all = new ByteArrayOutputStream();
                m.writeTo(all);
                byte[] storedBytes = read(server.store.content(OLAF, Folders.INBOX, stored.get(i).uid()).orElseThrow());
                assertThat(all.toByteArray()).isEqualTo(storedBytes);
                assertThat(endsWith(storedBytes, original)).as("message %d ends with what was sent", i + 1).isTrue();
                // body text octets (BODY[TEXT]) equal the body sent
                try (InputStream raw = m.getRawInputStream()) {
                    assertThat(raw.readAllBytes()).isEqualTo(body(original));
                }
                // attachments decoded equal the ones sent, part by part
                attachments += compareParts(m, expected);
            }
            assertThat(attachments).as("corpus messages with attachments").isGreaterThan(5);

            // mark seen (explicitly, on a message not read yet) and unseen
            IMAPMessage fresh = (IMAPMessage) messages[messages.length - 1];
            fresh.setFlag(Flags.Flag.SEEN, false);
            assertThat(server.store.list(OLAF, Folders.INBOX).get(messages.length - 1).hasFlag("\\Seen")).isFalse();
            fresh.setFlag(Flags.Flag.SEEN, true);
            assertThat(server.store.list(OLAF, Folders.INBOX).get(messages.length - 1).hasFlag("\\Seen")).isTrue();

            // search by sender and by a word of the body (on the Lucene index)
            String from = ((InternetAddress) messages[2].getFrom()[0]).getAddress();
            Message[] bySender = inbox.search(new FromStringTerm(from));
            assertThat(bySender).isNotEmpty().allMatch(msg -> {
                try {
                    return addresses(msg.getFrom()).toString().toLowerCase().contains(from.toLowerCase());
                } catch (Exception e) {
                    return false;
                }
            });
            assertThat(bySender.length).isLessThan(messages.length);   // not every message: a real filter
            // "Hasen" is in the quoted-printable body of the Outlook samples ("Die Hasen und die Fr=F6sche")
            Message[] byWord = inbox.search(new BodyTerm("Hasen"));
            assertThat(byWord).isNotEmpty().hasSizeLessThan(messages.length);
            for (Message hit : byWord) {
                ByteArrayOutputStream text = new ByteArrayOutputStream();
                hit.writeTo(text);
                assertThat(text.toString(StandardCharsets.ISO_8859_1)).contains("Hasen");
            }
            assertThat(inbox.search(new BodyTerm("zyxxyzzy"))).isEmpty();

            // move one to Junk: MOVE, and the spam learners are told
            IMAPFolder junk = (IMAPFolder) store.getFolder("Junk");
            long learntBefore = server.server.spamFeedback().learnt();
            inbox.moveMessages(new Message[] {messages[1]}, junk);
            assertThat(server.store.list(OLAF, Folders.JUNK)).hasSize(1);
            assertThat(server.store.list(OLAF, Folders.INBOX)).hasSize(sent.size() - 1);
            assertThat(server.server.spamFeedback().awaitIdle(Duration.ofSeconds(20))).isTrue();
            assertThat(server.server.spamFeedback().learnt()).isEqualTo(learntBefore + 1);

            // append a message to Sent
            IMAPFolder sentFolder = (IMAPFolder) store.getFolder("Sent");
            MimeMessage reply = new MimeMessage(Session.getInstance(new Properties()));
            reply.setFrom(new InternetAddress(OLAF));
            reply.setRecipient(Message.RecipientType.TO, new InternetAddress(ELSA));
            reply.setSubject("Re: summer", "UTF-8");
            reply.setText("I love summer! ☀", "UTF-8");
            reply.setFlag(Flags.Flag.SEEN, true);
            sentFolder.appendUIDMessages(new Message[] {reply});
            List<StoredMessage> inSent = server.store.list(OLAF, Folders.SENT);
            assertThat(inSent).hasSize(1);
            assertThat(inSent.get(0).subject()).isEqualTo("Re: summer");
            assertThat(inSent.get(0).hasFlag("\\Seen")).isTrue();

            // IDLE: a message delivered over SMTP arrives as EXISTS
            CountDownLatch added = new CountDownLatch(1);
            inbox.addMessageCountListener(new MessageCountAdapter() {
                @Override public void messagesAdded(MessageCountEvent e) { added.countDown(); }
            });
            Thread idler = new Thread(() -> {
                try {
                    while (added.getCount() > 0) inbox.idle(true);
                } catch (Exception e) {
                    // the folder is closed at the end
                }
            }, "idle");
            idler.start();
            Thread.sleep(300);   // the IDLE command is on its way
            server.smtp("elsa@herald.test", OLAF, "Subject: new while idling\r\n\r\nDo you want to build a snowman?\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(added.await(20, TimeUnit.SECONDS)).as("EXISTS during IDLE").isTrue();
            idler.join(20_000);
            assertThat(server.store.list(OLAF, Folders.INBOX)).hasSize(sent.size());   // one moved out, one arrived
            inbox.close(false);
        } finally {
            store.close();
        }
    }

    private static List<String> first(MimeMessage m, String field) throws Exception {
        String[] values = m.getHeader(field);
        if (values == null) return List.of();
        return addresses(InternetAddress.parseHeader(values[0], false));
    }

    private static List<String> addresses(jakarta.mail.Address[] a) {
        List<String> out = new ArrayList<>();
        if (a == null) return out;
        for (jakarta.mail.Address x : a) out.add(((InternetAddress) x).getAddress() == null ? "" : ((InternetAddress) x).getAddress().toLowerCase());
        return out;
    }

    /** The content-type tree, e.g. {@code multipart/mixed(text/plain,image/gif)}. */
    private static String shape(Part p) throws Exception {
        String type = p.getContentType() == null ? "text/plain" : p.getContentType().split(";")[0].trim().toLowerCase();
        if (type.startsWith("multipart/") && p.getContent() instanceof Multipart mp) {
            StringBuilder b = new StringBuilder(type).append('(');
            for (int i = 0; i < mp.getCount(); i++) {
                if (i > 0) b.append(',');
                b.append(shape(mp.getBodyPart(i)));
            }
            return b.append(')').toString();
        }
        return type;
    }

    /** Compares the decoded content of every attachment; returns how many there were. */
    private static int compareParts(Part actual, Part expected) throws Exception {
        if (expected.isMimeType("multipart/*") && expected.getContent() instanceof Multipart em) {
            Multipart am = (Multipart) actual.getContent();
            assertThat(am.getCount()).isEqualTo(em.getCount());
            int n = 0;
            for (int i = 0; i < em.getCount(); i++) n += compareParts(am.getBodyPart(i), em.getBodyPart(i));
            return n;
        }
        if (expected.getFileName() == null && !Part.ATTACHMENT.equalsIgnoreCase(expected.getDisposition())) return 0;
        try (InputStream a = actual.getInputStream(); InputStream e = expected.getInputStream()) {
            assertThat(a.readAllBytes()).as("attachment %s", expected.getFileName()).isEqualTo(e.readAllBytes());
        }
        if (actual instanceof BodyPart bp) assertThat(bp.getFileName()).isEqualTo(expected.getFileName());
        return 1;
    }

    private static byte[] read(MessageContent c) throws Exception {
        try (InputStream in = c.open()) {
            return in.readAllBytes();
        }
    }

    private static boolean endsWith(byte[] all, byte[] tail) {
        if (tail.length > all.length) return false;
        return Arrays.equals(all, all.length - tail.length, all.length, tail, 0, tail.length);
    }

    /** The octets after the blank line that ends the header. */
    static byte[] body(byte[] m) {
        for (int i = 0; i + 3 < m.length; i++) {
            if (m[i] == '\r' && m[i + 1] == '\n' && m[i + 2] == '\r' && m[i + 3] == '\n') return Arrays.copyOfRange(m, i + 4, m.length);
        }
        return new byte[0];
    }
}
