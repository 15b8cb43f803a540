package io.herald.e2e;

import io.herald.api.mailbox.Flags;
import io.herald.api.mailbox.Folders;
import io.herald.api.mailbox.MailboxStore;
import io.herald.api.mailbox.StoredMessage;
import io.herald.api.spam.SpamLearner;
import io.herald.server.HeraldServer;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.internet.InternetAddress;
import org.eclipse.angus.mail.smtp.SMTPTransport;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Spam filtering at the final hop, end to end: a server with the {@code spam-bayes} plugin, trained as an operator
 * trains it ({@code herald spam train --spam DIR --ham DIR}, through the running server's admin API) on one part of
 * the labelled corpus, receives held-out messages over SMTP.
 * Spam lands in Olaf's Junk folder with the {@code $Junk} keyword, ham in his INBOX; with a reject threshold
 * below the Bayes score, spam is refused with {@code 550 5.7.1} at the end of DATA and nothing is stored.
 *
 * <p>The split is fixed (sorted file names; every 25th message held out), so the outcome is the same on every
 * run. The filter's measured recall is about 95 % (docs/spam-filtering.md), so the test asks for at least 8 of
 * 10 held-out spam messages in Junk and every held-out ham message in INBOX.
 */
class SpamEndToEndTest {

    static final Path CORPUS = Path.of(System.getProperty("herald.corpus", "../../shared/corpus"));
    static final String OLAF = "olaf@herald.test";

    static final List<Path> trainSpam = new ArrayList<>();
    static final List<Path> trainHam = new ArrayList<>();
    static final List<Path> testSpam = new ArrayList<>();
    static final List<Path> testHam = new ArrayList<>();

    @TempDir
    Path home;

    @BeforeAll
    static void split() throws IOException {
        split(files(CORPUS.resolve("spam")), trainSpam, testSpam);
        split(files(CORPUS.resolve("ham")), trainHam, testHam);
    }

    private static void split(List<Path> all, List<Path> train, List<Path> test) {
        for (int i = 0; i < all.size(); i++) {
            if (i % 25 == 0 && test.size() < 10) test.add(all.get(i));
            else if (i % 25 != 0 && i % 3 == 0) train.add(all.get(i)); // a third of the rest keeps the test quick
        }
    }

    private static List<Path> files(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).sorted().toList();
        }
    }

    private HeraldServer start(Path dir, String junk, String reject) throws Exception {
        HeraldServer server = HeraldServer.builder().home(dir)
                .set("smtp", "port", "0").set("submission", "port", "0").set("submissions", "port", "0")
                .set("pop3", "port", "0").set("pop3", "tls.port", "0")   // the pop3 and imap plugins are on the class path
                .set("imap", "port", "0").set("imap", "tls.port", "0")
                .set("smtp", "maxLineLength", "0")
                .set("http", "port", "0")
                .set("spam", "junk", junk).set("spam", "reject", reject)
                .discoverPlugins().start();
        server.mailboxStore().create(OLAF);
        List<SpamLearner> learners = server.registry().snapshot().spamLearners();
        assertThat(learners).as("the spam-bayes plugin is on the class path").isNotEmpty();
        // the training part as folders, the way an operator has them (links to the corpus files, nothing copied)
        Path spamDir = linked(dir.resolve("train/spam"), trainSpam);
        Path hamDir = linked(dir.resolve("train/ham"), trainHam);
        int exit = io.herald.launcher.Main.execute("--home", dir.toString(),
                "spam", "train", "--spam", spamDir.toString(), "--ham", hamDir.toString());
        assertThat(exit).as("herald spam train").isZero();
        for (Path f : files(dir.resolve("train"))) Files.delete(f);     // the links (JUnit warns of each one it finds)
        return server;
    }

    private static Path linked(Path dir, List<Path> files) throws IOException {
        Files.createDirectories(dir);
        for (Path f : files) Files.createSymbolicLink(dir.resolve(f.getFileName()), f.toAbsolutePath());
        return dir;
    }

    @Test
    void spamGoesToJunkAndHamToInbox() throws Exception {
        try (HeraldServer server = start(home, "5", "1000")) {
            for (Path p : testSpam) assertThat(send(server, p)).as("reply to %s", p).isEqualTo(250);
            for (Path p : testHam) assertThat(send(server, p)).as("reply to %s", p).isEqualTo(250);
            assertThat(server.awaitIdle(Duration.ofMinutes(2))).isTrue();

            MailboxStore store = server.mailboxStore();
            List<StoredMessage> junk = store.list(OLAF, Folders.JUNK);
            List<StoredMessage> inbox = store.list(OLAF, Folders.INBOX);
            assertThat(junk.size() + inbox.size()).isEqualTo(testSpam.size() + testHam.size());

            List<String> hamSubjects = new ArrayList<>();
            for (Path p : testHam) hamSubjects.add(firstBytes(p));
            int spamInJunk = 0;
            for (StoredMessage m : junk) {
                String text = text(store, Folders.JUNK, m.uid());
                assertThat(m.flags()).contains(Flags.JUNK);
                assertThat(text).contains("X-Spam-Status: Yes");
                assertThat(hamSubjects).as("no ham message in Junk").noneMatch(text::contains);
                spamInJunk++;
            }
            assertThat(spamInJunk).as("held-out spam in Junk").isGreaterThanOrEqualTo(8);
            for (StoredMessage m : inbox) {
                assertThat(text(store, Folders.INBOX, m.uid())).contains("X-Spam-Status: No");
            }
        }
    }

    @Test
    void spamOverTheRejectThresholdIsRefusedAndNotStored() throws Exception {
        try (HeraldServer server = start(home, "5", "7.5")) {
            int refused = 0;
            int accepted = 0;
            for (Path p : testSpam) {
                int code = send(server, p);
                if (code == 550) refused++;
                else if (code == 250) accepted++;
                else throw new AssertionError("unexpected reply " + code + " to " + p);
            }
            assertThat(refused).as("held-out spam refused at the end of DATA").isGreaterThanOrEqualTo(8);
            assertThat(server.awaitIdle(Duration.ofMinutes(2))).isTrue();
            MailboxStore store = server.mailboxStore();
            assertThat(store.list(OLAF, Folders.INBOX).size() + store.list(OLAF, Folders.JUNK).size())
                    .as("only the accepted messages are stored").isEqualTo(accepted);
        }
    }

    /** Sends one corpus file as Olaf's mail; the SMTP reply code to the end of DATA. */
    private static int send(HeraldServer server, Path file) throws Exception {
        Properties props = new Properties();
        props.put("mail.smtp.host", "127.0.0.1");
        props.put("mail.smtp.port", String.valueOf(server.smtpPort()));
        props.put("mail.smtp.from", "sender@example.org");
        Session session = Session.getInstance(props);
        try (SMTPTransport t = (SMTPTransport) session.getTransport("smtp")) {
            t.connect();
            try {
                t.sendMessage(new CorpusRoundTripTest.RawMessage(session, Files.readAllBytes(file)),
                        new InternetAddress[]{new InternetAddress(OLAF)});
            } catch (MessagingException e) {
                if (t.getLastReturnCode() >= 400) {
                    assertThat(t.getLastServerResponse()).startsWith(t.getLastReturnCode() + " 5.7.1");
                    return t.getLastReturnCode();
                }
                throw e;
            }
            return t.getLastReturnCode();
        }
    }

    /** A stretch of the message's body end that identifies it among the test messages. */
    private static String firstBytes(Path p) throws IOException {
        byte[] b = WireFormat.crlf(Files.readAllBytes(p));
        int from = Math.max(0, b.length - 120);
        return new String(b, from, b.length - from - 2, StandardCharsets.ISO_8859_1);
    }

    private static String text(MailboxStore store, String folder, long uid) throws Exception {
        try (InputStream in = store.content(OLAF, folder, uid).orElseThrow().open()) {
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }
}
