package io.herald.plugin.routelocal;

import io.herald.testkit.HeraldExtension;
import io.herald.testkit.HeraldExtension.BuiltIn;
import io.herald.testkit.Mailbox;
import io.herald.testkit.smtp.Reply;
import io.herald.testkit.smtp.SmtpClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Local routing in a real server (the SDK's test kit): RCPT replies over SMTP, and where the mail lands. */
class RouteLocalTest {

    @RegisterExtension
    static final HeraldExtension herald = HeraldExtension.builder()
            .plugin(new RouteLocalPlugin())
            .builtIns(BuiltIn.MAILBOX_LUCENE)
            .domains("herald.test", "example.org")
            .set("route-local", "postmaster", "elsa@herald.test")
            .mailboxes("olaf@herald.test", "elsa@herald.test", "anna@example.org")
            .build();

    static String message(String subject) {
        return "From: someone@elsewhere.example\r\nSubject: " + subject + "\r\n\r\nHello.\r\n";
    }

    static List<String> subjects(String mailbox) {
        return herald.mailbox(mailbox).inbox().stream().map(m -> m.header("Subject").orElse("")).toList();
    }

    @Test
    void aKnownRecipientInEveryLocalDomainIsDeliveredToItsMailbox() throws Exception {
        assertThat(herald.send("someone@elsewhere.example", "olaf@herald.test", message("to olaf")).last().code()).isEqualTo(250);
        assertThat(herald.send("someone@elsewhere.example", "anna@example.org", message("to anna")).last().code()).isEqualTo(250);
        assertThat(subjects("olaf@herald.test")).contains("to olaf").doesNotContain("to anna");
        assertThat(subjects("anna@example.org")).contains("to anna");
        Mailbox.Message m = herald.mailbox("olaf@herald.test").inbox().stream()
                .filter(x -> x.header("Subject").orElse("").equals("to olaf")).findFirst().orElseThrow();
        assertThat(m.header("Return-Path")).contains("<someone@elsewhere.example>");
    }

    @Test
    void theMailboxIsFoundWhateverTheCaseOfTheAddress() throws Exception {
        assertThat(herald.send("someone@elsewhere.example", "OLAF@Herald.Test", message("shouted")).last().code()).isEqualTo(250);
        assertThat(subjects("olaf@herald.test")).contains("shouted");
    }

    @Test
    void anUnknownLocalUserIsRefusedWith511AndTheSessionGoesOn() throws Exception {
        try (SmtpClient smtp = herald.smtp()) {
            assertThat(smtp.mail("someone@elsewhere.example").code()).isEqualTo(250);
            Reply unknown = smtp.rcpt("nobody@herald.test");
            assertThat(unknown.code()).isEqualTo(550);
            assertThat(unknown.enhancedCode()).contains("5.1.1");
            assertThat(unknown.text()).contains("<nobody@herald.test>: no such user here");
            assertThat(smtp.rcpt("elsa@herald.test").code()).isEqualTo(250);
            assertThat(smtp.data(message("after a refused recipient").getBytes()).code()).isEqualTo(250);
        }
        assertThat(subjects("elsa@herald.test")).contains("after a refused recipient");
    }

    @Test
    void percentHackAndBangPathsNameNoMailboxAndAreNeverRelayed() throws Exception {
        try (SmtpClient smtp = herald.smtp()) {
            smtp.mail("someone@elsewhere.example");
            for (String trick : List.of("olaf%elsewhere.example@herald.test", "elsewhere.example!olaf@herald.test")) {
                Reply r = smtp.rcpt(trick);
                assertThat(r.code()).as(trick).isEqualTo(550);
                assertThat(r.enhancedCode()).as(trick).contains("5.1.1");
            }
        }
    }

    @Test
    void postmasterInAnyLocalDomainGoesToTheConfiguredMailbox() throws Exception {
        assertThat(herald.send("someone@elsewhere.example", "postmaster@example.org", message("for the postmaster")).last().code()).isEqualTo(250);
        assertThat(subjects("elsa@herald.test")).contains("for the postmaster");
    }

    @Test
    void otherDomainsAreLeftToOtherRoutersAndSoRefusedAsRelaying() throws Exception {
        try (SmtpClient smtp = herald.smtp()) {
            smtp.mail("someone@elsewhere.example");
            Reply r = smtp.rcpt("olaf@elsewhere.example");
            assertThat(r.code()).isEqualTo(550);
            assertThat(r.enhancedCode()).contains("5.7.1");
        }
    }
}
