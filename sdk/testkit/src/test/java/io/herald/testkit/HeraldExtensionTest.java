package io.herald.testkit;

import io.herald.api.config.Configuration;
import io.herald.testkit.sample.TaggingPlugin;
import io.herald.testkit.smtp.Reply;
import io.herald.testkit.smtp.SmtpClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.xbill.DNS.Type;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** One server for the class (static field): the plugin under test over real SMTP, its mailbox, its configuration. */
class HeraldExtensionTest {

    @RegisterExtension
    static final HeraldExtension herald = HeraldExtension.builder()
            .plugin(new TaggingPlugin())
            .set("tagging", "tag", "from-the-builder")
            .set(h -> Map.of("tagging", Map.of("blocked", "blocked@" + h.dns().port() + ".example")))
            .mailboxes("olaf@herald.test")
            .build();

    static final String MESSAGE = "From: elsa@example.org\r\nTo: olaf@herald.test\r\nSubject: hello\r\n\r\nHi Olaf.\r\n.leading dot\r\n";

    @Test
    void aMessageSentOverSmtpIsDeliveredWithTheHooksHeader() throws Exception {
        SmtpClient.Transaction t = herald.send("elsa@example.org", "olaf@herald.test", MESSAGE);
        assertThat(t.accepted()).as(t.replies().toString()).isTrue();
        assertThat(t.last().code()).isEqualTo(250);

        List<Mailbox.Message> inbox = herald.mailbox("olaf@herald.test").inbox();
        assertThat(inbox).isNotEmpty();
        Mailbox.Message m = inbox.get(inbox.size() - 1);
        assertThat(m.header("X-Tagged")).contains("from-the-builder; tls=false; auth=none");
        assertThat(m.header("Subject")).contains("hello");
        assertThat(m.header("Received")).isPresent();
        assertThat(m.text()).endsWith("Hi Olaf.\r\n.leading dot\r\n");
    }

    @Test
    void theHookRefusesTheConfiguredSenderWithItsReply() throws Exception {
        String blocked = "blocked@" + herald.dns().port() + ".example";
        try (SmtpClient smtp = herald.smtp()) {
            Reply r = smtp.mail(blocked);
            assertThat(r.code()).isEqualTo(550);
            assertThat(r.enhancedCode()).contains("5.7.1");
            assertThat(r.text()).contains("is blocked here");
            // the session goes on
            assertThat(smtp.mail("elsa@example.org").code()).isEqualTo(250);
            assertThat(smtp.rcpt("nobody@elsewhere.example").code()).isEqualTo(550);
            assertThat(smtp.rset().code()).isEqualTo(250);
            assertThat(smtp.quit().code()).isEqualTo(221);
        }
    }

    @Test
    void submissionRunsStarttlsAndWantsAuthentication() throws Exception {
        try (SmtpClient smtp = herald.submission()) {
            assertThat(smtp.isEncrypted()).isTrue();
            assertThat(smtp.supports("AUTH")).isTrue();
            assertThat(smtp.supports("STARTTLS")).as("not offered again inside TLS").isFalse();
            Reply r = smtp.mail("elsa@herald.test");
            assertThat(r.code()).isEqualTo(530);
            assertThat(r.enhancedCode()).contains("5.7.0");
        }
        try (SmtpClient smtp = herald.submissions()) {
            assertThat(smtp.isEncrypted()).isTrue();
            assertThat(smtp.greeting().code()).isEqualTo(220);
        }
    }

    @Test
    void theServersResolverIsPointedAtTheResponder() throws Exception {
        Configuration dns = herald.server().configs().get("dns");
        assertThat(dns.get("servers")).contains("127.0.0.1:" + herald.dns().port());
        herald.dns().mx("example.org", 10, "mx.example.org");
        var answer = herald.dns().resolver().send(org.xbill.DNS.Message.newQuery(
                org.xbill.DNS.Record.newRecord(org.xbill.DNS.Name.fromString("example.org."), Type.MX, org.xbill.DNS.DClass.IN)));
        assertThat(answer.getSection(org.xbill.DNS.Section.ANSWER)).hasSize(1);
    }

    @Test
    void everyListenerIsOnAFreeLoopbackPort() {
        assertThat(List.of(herald.smtpPort(), herald.submissionPort(), herald.submissionsPort()))
                .doesNotHaveDuplicates()
                .noneMatch(p -> p == 2525 || p == 2587 || p == 2465)
                .allMatch(p -> p > 0);
    }

    @Test
    void reconfigureWritesTheFileAndTheCoreAppliesIt() throws Exception {
        try {
            List<String> changed = herald.reconfigure("smtp", Map.of("maxRecipients", "1"));
            assertThat(herald.home().resolve("conf/smtp.cfg")).content().contains("maxRecipients = 1");
            assertThat(changed).contains("smtp");
            try (SmtpClient smtp = herald.smtp()) {
                assertThat(smtp.mail("elsa@example.org").code()).isEqualTo(250);
                assertThat(smtp.rcpt("olaf@herald.test").code()).isEqualTo(250);
                Reply second = smtp.rcpt("olaf@herald.test");
                assertThat(second.code()).isEqualTo(452);
                assertThat(second.enhancedCode()).contains("4.5.3");
            }
        } finally {
            herald.reconfigure("smtp", Map.of());
        }
    }
}
