package ${package};

import io.herald.testkit.HeraldExtension;
import io.herald.testkit.HeraldExtension.BuiltIn;
import io.herald.testkit.Mailbox;
import io.herald.testkit.smtp.Reply;
import io.herald.testkit.smtp.SmtpClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The plugin in a real Herald server (test kit): over SMTP, with local delivery and the mailbox store beside it. */
class ${classPrefix}PluginTest {

    @RegisterExtension
    static final HeraldExtension herald = HeraldExtension.builder()
            .plugin(new ${classPrefix}Plugin())
            .builtIns(BuiltIn.ROUTE_LOCAL, BuiltIn.MAILBOX_LUCENE)
            .mailboxes("olaf@herald.test")
            .set("${pluginId}", "blockedSenders", "spammer@example.net")
            .build();

    @Test
    void anAcceptedMessageIsStamped() throws Exception {
        SmtpClient.Transaction t = herald.send("elsa@example.org", "olaf@herald.test",
                "From: elsa@example.org\r\nTo: olaf@herald.test\r\nSubject: hello\r\n\r\nHello Olaf.\r\n");
        assertThat(t.last().code()).as(t.replies().toString()).isEqualTo(250);

        List<Mailbox.Message> inbox = herald.mailbox("olaf@herald.test").inbox();
        assertThat(inbox).hasSize(1);
        assertThat(inbox.get(0).header(${classPrefix}Hook.HEADER)).contains("seen by ${pluginId}");
    }

    @Test
    void aBlockedSenderIsRefusedAtMailFromAndTheSessionGoesOn() throws Exception {
        try (SmtpClient smtp = herald.smtp()) {
            Reply refused = smtp.mail("Spammer@Example.NET");
            assertThat(refused.code()).isEqualTo(550);
            assertThat(refused.enhancedCode()).contains("5.7.1");
            assertThat(smtp.mail("elsa@example.org").code()).isEqualTo(250);
        }
    }
}
