package io.herald.e2e;

import io.herald.api.mailbox.Folders;
import io.herald.api.mailbox.MailboxStore;
import io.herald.api.mailbox.StoredMessage;
import io.herald.launcher.ExitCodes;
import io.herald.launcher.Main;
import io.herald.server.HeraldServer;
import jakarta.mail.Address;
import jakarta.mail.MessagingException;
import jakarta.mail.SendFailedException;
import jakarta.mail.Session;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import org.eclipse.angus.mail.smtp.SMTPAddressFailedException;
import org.eclipse.angus.mail.smtp.SMTPTransport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A user removed the documented way ({@code herald user remove}, beside the running server) receives no more mail:
 * {@code RCPT TO} gets {@code 550 5.1.1} as for an unknown user, and the SMTP session goes on (the next recipient, a
 * user, is accepted and gets the message), while the mail the removed user had is kept in the store. The client is
 * Jakarta Mail (Angus) with {@code mail.smtp.sendpartial}.
 */
class RemovedUserTest {

    static final String ANNA = "anna@herald.test";
    static final String OLAF = "olaf@herald.test";

    @TempDir Path home;
    HeraldServer server;

    @AfterEach
    void stop() {
        if (server != null) server.close();
    }

    @Test
    void aRemovedUserIsRefused550AtRcptTheSessionGoesOnAndItsMailIsKept() throws Exception {
        server = HeraldServer.builder().home(home)
                .set("smtp", "port", "0").set("submission", "port", "-1").set("submissions", "port", "-1")
                .set("imap", "port", "-1").set("imap", "tls.port", "-1").set("pop3", "port", "-1").set("pop3", "tls.port", "-1")
                .set("auth-file", "iterations", "4096")
                .discoverPlugins()
                .start();
        MailboxStore store = server.mailboxStore();
        assertThat(server.ensureUsers(Map.of(ANNA, "Anna-pass-123456", OLAF, "Olaf-pass-123456"))).hasSize(2);

        Session session = session();
        try (SMTPTransport t = (SMTPTransport) session.getTransport("smtp")) {
            t.connect();
            t.sendMessage(message(session, "before the removal"), new Address[]{new InternetAddress(ANNA)});
            assertThat(t.getLastReturnCode()).isEqualTo(250);
        }
        assertThat(server.awaitIdle(Duration.ofMinutes(1))).isTrue();
        assertThat(store.list(ANNA, Folders.INBOX)).hasSize(1);

        // the operator removes anna; the running server reads the user file again (checked at most once a second)
        assertThat(Main.execute("--home", home.toString(), "user", "remove", ANNA)).isEqualTo(ExitCodes.OK);
        Thread.sleep(1_200);

        try (SMTPTransport t = (SMTPTransport) session.getTransport("smtp")) {
            t.connect();
            // RCPT TO:<anna> refused, RCPT TO:<olaf> accepted in the same transaction, the message goes to olaf
            SendFailedException partial = catchSendFailed(() ->
                    t.sendMessage(message(session, "after the removal"), new Address[]{new InternetAddress(ANNA), new InternetAddress(OLAF)}));
            assertThat(partial.getValidSentAddresses()).extracting(Address::toString).containsExactly(OLAF);
            assertThat(partial.getInvalidAddresses()).extracting(Address::toString).containsExactly(ANNA);
            SMTPAddressFailedException refused = addressFailure(partial);
            assertThat(refused.getReturnCode()).isEqualTo(550);
            assertThat(refused.getMessage()).contains("550 5.1.1 <" + ANNA + ">: no such user here");
            assertThat(t.getLastServerResponse()).as("the DATA for olaf").startsWith("250");
            // anna alone: nothing to send; the session is still usable afterwards
            assertThatThrownBy(() -> t.sendMessage(message(session, "anna only"), new Address[]{new InternetAddress(ANNA)}))
                    .isInstanceOf(SendFailedException.class);
            t.sendMessage(message(session, "olaf again"), new Address[]{new InternetAddress(OLAF)});
            assertThat(t.getLastReturnCode()).isEqualTo(250);
        }
        assertThat(server.awaitIdle(Duration.ofMinutes(1))).isTrue();

        assertThat(subjects(store, OLAF)).containsExactly("after the removal", "olaf again");
        // anna's mailbox and its mail are kept, on disk: the store's log of the mailbox and the message itself
        assertThat(store.exists(ANNA)).isTrue();
        assertThat(subjects(store, ANNA)).containsExactly("before the removal");
        assertThat(home.resolve("data/mailbox-lucene/logs/" + ANNA + ".log")).isNotEmptyFile();
        assertThat(Files.readString(home.resolve("data/auth-file/users"))).contains("removed " + ANNA);
    }

    Session session() {
        Properties p = new Properties();
        p.put("mail.smtp.host", "127.0.0.1");
        p.put("mail.smtp.port", String.valueOf(server.smtpPort()));
        p.put("mail.smtp.from", "sender@example.org");
        p.put("mail.smtp.sendpartial", "true");
        return Session.getInstance(p);
    }

    static MimeMessage message(Session session, String subject) throws MessagingException {
        MimeMessage m = new MimeMessage(session);
        m.setFrom("sender@example.org");
        m.setSubject(subject);
        m.setText("text of " + subject + "\n");
        return m;
    }

    interface Send {
        void run() throws Exception;
    }

    static SendFailedException catchSendFailed(Send send) throws Exception {
        try {
            send.run();
        } catch (SendFailedException e) {
            return e;
        }
        throw new AssertionError("the send did not report the refused recipient");
    }

    /** The refusal of the one recipient, from the chain of exceptions Angus builds. */
    static SMTPAddressFailedException addressFailure(MessagingException e) {
        List<Exception> seen = new ArrayList<>();
        for (Exception x = e; x != null; x = x instanceof MessagingException m ? m.getNextException() : null) {
            seen.add(x);
            if (x instanceof SMTPAddressFailedException a) return a;
        }
        throw new AssertionError("no SMTPAddressFailedException in " + seen);
    }

    static List<String> subjects(MailboxStore store, String mailbox) throws Exception {
        List<String> out = new ArrayList<>();
        for (StoredMessage m : store.list(mailbox, Folders.INBOX)) {
            try (InputStream in = store.content(mailbox, Folders.INBOX, m.uid()).orElseThrow().open()) {
                String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                out.add(text.lines().filter(l -> l.startsWith("Subject: ")).findFirst().orElseThrow().substring(9));
            }
        }
        return out;
    }
}
