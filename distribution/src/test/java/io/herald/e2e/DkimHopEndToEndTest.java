package io.herald.e2e;

import io.herald.api.mailbox.Folders;
import io.herald.api.mailbox.MailboxStore;
import io.herald.api.mailbox.StoredMessage;
import io.herald.server.HeraldServer;
import io.herald.testkit.dns.DnsResponder;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import org.apache.james.jdkim.DKIMVerifier;
import org.apache.james.jdkim.api.SignatureRecord;
import org.apache.james.jdkim.exceptions.PermFailException;
import org.eclipse.angus.mail.smtp.SMTPTransport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * DKIM across two Herald hops: Elsa submits (STARTTLS + AUTH) to server A, whose {@code dkim-sign} plugin signs for
 * {@code herald.test}; the stored message verifies with jDKIM's own verifier, and, sent on to server B over SMTP, B's
 * {@code spam-auth} plugin verifies it against the key served by a real DNS server on loopback (testkit
 * DnsResponder) and records {@code dkim=pass} in Authentication-Results. SPF for herald.test does not list the
 * loopback client (spf=fail), so DMARC rests on the DKIM signature: a tampered copy fails DKIM and DMARC
 * ({@code p=reject}) and B refuses it with 550 5.7.1.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DkimHopEndToEndTest {

    static final String ELSA = "elsa@herald.test";
    static final String OLAF = "olaf@herald.test";
    static final String ELSA_PW = "Elsa-pw-1234";

    @TempDir static Path tmp;
    DnsResponder dns;
    KeyPair key;
    HeraldServer a;
    HeraldServer b;

    @BeforeAll
    void start() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        key = g.generateKeyPair();
        Path pem = tmp.resolve("mail2026.pem");
        Files.writeString(pem, "-----BEGIN PRIVATE KEY-----\n" + Base64.getMimeEncoder(64, "\n".getBytes())
                .encodeToString(key.getPrivate().getEncoded()) + "\n-----END PRIVATE KEY-----\n");
        dns = DnsResponder.start();
        dns.txt("mail2026._domainkey.herald.test", "v=DKIM1; k=rsa; p=" + Base64.getEncoder().encodeToString(key.getPublic().getEncoded()))
           .txt("herald.test", "v=spf1 ip4:192.0.2.1 -all")
           .txt("_dmarc.herald.test", "v=DMARC1; p=reject");

        a = HeraldServer.builder().home(tmp.resolve("a"))
                .set("smtp", "port", "0").set("submission", "port", "0").set("submissions", "port", "0")
                .set("auth-file", "iterations", "4096")
                .set("dkim-sign", "enabled", "true").set("dkim-sign", "domain", "herald.test")
                .set("dkim-sign", "selector", "mail2026").set("dkim-sign", "key.file", pem.toString())
                .discoverPlugins().start();
        a.mailboxStore().create(ELSA);
        a.mailboxStore().create(OLAF);
        a.ensureUsers(Map.of(ELSA, ELSA_PW));

        b = HeraldServer.builder().home(tmp.resolve("b"))
                .set("herald", "hostname", "mx.b.test")
                .set("smtp", "port", "0").set("submission", "port", "0").set("submissions", "port", "0")
                .set("dns", "servers", "127.0.0.1:" + dns.port()).set("dns", "cache", "false")
                .set("spam-auth", "enabled", "true")
                .set("spam", "reject", "12")
                .discoverPlugins().start();
        b.mailboxStore().create(OLAF);
    }

    @AfterAll
    void stop() {
        if (a != null) a.close();
        if (b != null) b.close();
        if (dns != null) dns.close();
    }

    @Test
    void signedAtTheFirstHopVerifiedWithJdkimAndAtTheNextHerald() throws Exception {
        submitToA("Let it go");
        byte[] signed = storedAt(a, "Let it go");
        String text = new String(signed, StandardCharsets.UTF_8);
        String sig = header(text, "DKIM-Signature");
        assertThat(sig.split(";\\s*")).contains("v=1", "a=rsa-sha256", "c=relaxed/relaxed", "d=herald.test", "s=mail2026");

        // the library's own verifier, the key from the same DNS server
        List<SignatureRecord> ok = new DKIMVerifier((method, selector, domain) -> {
            if (!(selector + "._domainkey." + domain).equals("mail2026._domainkey.herald.test")) throw new PermFailException("no key");
            return List.of("v=DKIM1; k=rsa; p=" + Base64.getEncoder().encodeToString(key.getPublic().getEncoded()));
        }).verify(new ByteArrayInputStream(signed));
        assertThat(ok).hasSize(1);

        // the next Herald hop
        assertThat(sendToB(signed)).isEqualTo(250);
        byte[] atB = storedAt(b, "Let it go");
        String ar = header(new String(atB, StandardCharsets.UTF_8), "Authentication-Results");
        assertThat(ar).startsWith("mx.b.test; spf=fail smtp.mailfrom=elsa@herald.test; dkim=pass header.d=herald.test header.s=mail2026")
                .endsWith("dmarc=pass (p=reject) header.from=herald.test");
    }

    @Test
    void aTamperedCopyFailsDkimAndDmarcRejectAndIsRefused() throws Exception {
        submitToA("Do you want to build a snowman");
        String signed = new String(storedAt(a, "Do you want to build a snowman"), StandardCharsets.UTF_8);
        byte[] tampered = signed.replace("hello from Do you want", "send money, Do you want").getBytes(StandardCharsets.UTF_8);
        assertThat(tampered).isNotEqualTo(signed.getBytes(StandardCharsets.UTF_8));
        int before = b.mailboxStore().list(OLAF, Folders.INBOX).size() + b.mailboxStore().list(OLAF, Folders.JUNK).size();
        assertThat(sendToB(tampered)).isEqualTo(550); // SPF_FAIL 3 + DKIM_INVALID 1.5 + DMARC_REJECT 10 >= 12
        assertThat(b.awaitIdle(Duration.ofSeconds(30))).isTrue();
        assertThat(b.mailboxStore().list(OLAF, Folders.INBOX).size() + b.mailboxStore().list(OLAF, Folders.JUNK).size()).isEqualTo(before);
    }

    private void submitToA(String subject) throws Exception {
        Properties p = new Properties();
        p.put("mail.smtp.host", "127.0.0.1");
        p.put("mail.smtp.port", String.valueOf(a.submissionPort()));
        p.put("mail.smtp.starttls.enable", "true");
        p.put("mail.smtp.starttls.required", "true");
        p.put("mail.smtp.ssl.trust", "*");
        p.put("mail.smtp.auth", "true");
        Session session = Session.getInstance(p);
        MimeMessage m = new MimeMessage(session);
        m.setFrom(new InternetAddress(ELSA));
        m.setRecipient(Message.RecipientType.TO, new InternetAddress(OLAF));
        m.setSubject(subject);
        m.setText("hello from " + subject + "\r\n");
        Transport.send(m, ELSA, ELSA_PW);
    }

    /** The stored bytes of the message with this subject in Olaf's INBOX or Junk at a server. */
    private static byte[] storedAt(HeraldServer s, String subject) throws Exception {
        assertThat(s.awaitIdle(Duration.ofSeconds(30))).isTrue();
        MailboxStore store = s.mailboxStore();
        for (String folder : List.of(Folders.INBOX, Folders.JUNK)) {
            for (StoredMessage m : store.list(OLAF, folder)) {
                try (InputStream in = store.content(OLAF, folder, m.uid()).orElseThrow().open()) {
                    byte[] bytes = in.readAllBytes();
                    if (new String(bytes, StandardCharsets.UTF_8).contains("Subject: " + subject + "\r\n")) return bytes;
                }
            }
        }
        throw new AssertionError("no message '" + subject + "' for " + OLAF);
    }

    /** Sends raw bytes to B as the next hop would (MAIL FROM Elsa); the reply code to the end of DATA. */
    private int sendToB(byte[] raw) throws Exception {
        Properties props = new Properties();
        props.put("mail.smtp.host", "127.0.0.1");
        props.put("mail.smtp.port", String.valueOf(b.smtpPort()));
        props.put("mail.smtp.from", ELSA);
        props.put("mail.smtp.localhost", "mx.a.test");
        Session session = Session.getInstance(props);
        try (SMTPTransport t = (SMTPTransport) session.getTransport("smtp")) {
            t.connect();
            try {
                t.sendMessage(new CorpusRoundTripTest.RawMessage(session, raw), new InternetAddress[]{new InternetAddress(OLAF)});
            } catch (MessagingException e) {
                if (t.getLastReturnCode() >= 400) {
                    assertThat(t.getLastServerResponse()).startsWith("550 5.7.1");
                    return t.getLastReturnCode();
                }
                throw e;
            }
            return t.getLastReturnCode();
        }
    }

    private static String header(String message, String name) {
        for (String line : message.split("\r\n")) {
            if (line.isEmpty()) break;
            if (line.regionMatches(true, 0, name + ":", 0, name.length() + 1)) return line.substring(name.length() + 1).strip();
        }
        throw new AssertionError("no " + name + " in\n" + message);
    }
}
