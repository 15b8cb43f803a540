package io.herald.plugin.authfile;

import io.herald.testkit.HeraldExtension;
import io.herald.testkit.HeraldExtension.BuiltIn;
import io.herald.testkit.smtp.Reply;
import io.herald.testkit.smtp.SmtpClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The file authenticator behind SMTP AUTH in a real server (the SDK's test kit): STARTTLS, implicit TLS, PLAIN, LOGIN. */
class SubmissionAuthTest {

    @RegisterExtension
    static final HeraldExtension herald = HeraldExtension.builder()
            .plugin(new AuthFilePlugin())
            .builtIns(BuiltIn.ROUTE_LOCAL, BuiltIn.MAILBOX_LUCENE)
            .user("elsa@herald.test", "elsa-secret-1")
            .mailboxes("elsa@herald.test", "olaf@herald.test")
            .build();

    @Test
    void anAuthenticatedUserSubmitsAfterStarttls() throws Exception {
        try (SmtpClient smtp = herald.submission()) {
            assertThat(smtp.supports("AUTH")).isTrue();
            Reply auth = smtp.authPlain("elsa@herald.test", "elsa-secret-1");
            assertThat(auth.code()).as(auth.toString()).isEqualTo(235);
            assertThat(auth.enhancedCode()).contains("2.7.0");
            SmtpClient.Transaction t = smtp.send("elsa@herald.test", List.of("olaf@herald.test"),
                    "From: elsa@herald.test\r\nTo: olaf@herald.test\r\nSubject: submitted\r\n\r\nHi.\r\n");
            assertThat(t.accepted()).as(t.replies().toString()).isTrue();
        }
        assertThat(herald.mailbox("olaf@herald.test").inbox())
                .anySatisfy(m -> assertThat(m.header("Subject")).contains("submitted"));
    }

    @Test
    void aWrongPasswordAndAnUnknownUserGetTheSameRefusal() throws Exception {
        Reply wrong;
        Reply unknown;
        try (SmtpClient smtp = herald.submission()) {
            wrong = smtp.authPlain("elsa@herald.test", "not-her-password");
        }
        try (SmtpClient smtp = herald.submission()) {
            unknown = smtp.authPlain("nobody@herald.test", "whatever-password");
        }
        assertThat(wrong.code()).isEqualTo(535);
        assertThat(wrong.enhancedCode()).contains("5.7.8");
        assertThat(unknown.toString()).isEqualTo(wrong.toString());
    }

    @Test
    void loginOverImplicitTls() throws Exception {
        try (SmtpClient smtp = herald.submissions()) {
            assertThat(smtp.isEncrypted()).isTrue();
            assertThat(smtp.authLogin("elsa@herald.test", "elsa-secret-1").code()).isEqualTo(235);
            assertThat(smtp.mail("elsa@herald.test").code()).isEqualTo(250);
        }
    }
}
