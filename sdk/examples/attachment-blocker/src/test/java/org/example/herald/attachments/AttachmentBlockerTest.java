package org.example.herald.attachments;

import io.herald.testkit.HeraldExtension;
import io.herald.testkit.HeraldExtension.BuiltIn;
import io.herald.testkit.Mailbox;
import io.herald.testkit.smtp.Reply;
import io.herald.testkit.smtp.SmtpClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.Base64;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The plugin in a real Herald server (the test kit), over SMTP, with local delivery and the mailbox store. */
class AttachmentBlockerTest {

    @RegisterExtension
    static final HeraldExtension herald = HeraldExtension.builder()
            .plugin(new AttachmentBlockerPlugin())
            .builtIns(BuiltIn.ROUTE_LOCAL, BuiltIn.MAILBOX_LUCENE)
            .mailboxes("olaf@herald.test", "elsa@herald.test")
            .build();

    static String withAttachment(String subject, String partHeader) {
        return "From: elsa@example.org\r\nTo: olaf@herald.test\r\nSubject: " + subject + "\r\n"
                + "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
                + "preamble\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSee the attachment.\r\n"
                + "--b1\r\n" + partHeader + "\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                + Base64.getMimeEncoder().encodeToString("MZ not really a program".getBytes()) + "\r\n"
                + "--b1--\r\nepilogue\r\n";
    }

    static int countIn(String mailbox, String subject) {
        return (int) herald.mailbox(mailbox).inbox().stream().filter(m -> m.header("Subject").orElse("").equals(subject)).count();
    }

    @Test
    void aPdfPasses() throws Exception {
        SmtpClient.Transaction t = herald.send("elsa@example.org", "olaf@herald.test",
                withAttachment("a pdf", "Content-Type: application/pdf; name=\"invoice.pdf\"\r\nContent-Disposition: attachment; filename=\"invoice.pdf\""));
        assertThat(t.last().code()).as(t.replies().toString()).isEqualTo(250);
        assertThat(countIn("olaf@herald.test", "a pdf")).isEqualTo(1);
    }

    @Test
    void anExeIsRefusedAtTheEndOfDataAndNothingIsStored() throws Exception {
        SmtpClient.Transaction t = herald.send("elsa@example.org", "olaf@herald.test",
                withAttachment("an exe", "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"setup.EXE\""));
        assertThat(t.replies().get(t.replies().size() - 2).code()).as("DATA itself was accepted").isEqualTo(354);
        Reply r = t.last();
        assertThat(r.code()).isEqualTo(550);
        assertThat(r.enhancedCode()).contains("5.7.1");
        assertThat(r.text()).contains("\"setup.EXE\" (.exe)");
        assertThat(countIn("olaf@herald.test", "an exe")).isZero();
    }

    @Test
    void disguisedNamesAreSeenThrough() throws Exception {
        List<String> headers = List.of(
                // RFC 2231 continuation with a charset
                "Content-Type: application/octet-stream\r\nContent-Disposition: attachment;\r\n filename*0*=UTF-8''Rechnung%20M%C3%A4rz.pdf;\r\n filename*1=\".js\"",
                // RFC 2047 encoded word in the name parameter, no Content-Disposition
                "Content-Type: application/octet-stream; name=\"=?UTF-8?B?" + Base64.getEncoder().encodeToString("фото.scr".getBytes(java.nio.charset.StandardCharsets.UTF_8)) + "?=\"",
                // trailing dot and space, which Windows drops
                "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"photo.jpg.vbs. \"",
                // the media type alone
                "Content-Type: application/x-msdownload");
        for (String h : headers) {
            SmtpClient.Transaction t = herald.send("elsa@example.org", "olaf@herald.test", withAttachment("disguised", h));
            assertThat(t.last().code()).as(h + " -> " + t.last()).isEqualTo(550);
        }
        assertThat(countIn("olaf@herald.test", "disguised")).isZero();
    }

    @Test
    void anExeInsideAForwardedMessageIsFound() throws Exception {
        String inner = withAttachment("inner", "Content-Type: application/javascript; name=\"x.js\"");
        String outer = "From: elsa@example.org\r\nTo: olaf@herald.test\r\nSubject: forwarded\r\nMIME-Version: 1.0\r\n"
                + "Content-Type: multipart/mixed; boundary=outer\r\n\r\n--outer\r\nContent-Type: text/plain\r\n\r\nFYI\r\n"
                + "--outer\r\nContent-Type: message/rfc822\r\n\r\n" + inner + "\r\n--outer--\r\n";
        Reply r = herald.send("elsa@example.org", "olaf@herald.test", outer).last();
        assertThat(r.code()).isEqualTo(550);
        assertThat(r.text()).contains("x.js");
    }

    @Test
    void theSessionGoesOnAfterARefusal() throws Exception {
        try (SmtpClient smtp = herald.smtp()) {
            SmtpClient.Transaction refused = smtp.send("elsa@example.org", List.of("olaf@herald.test"),
                    withAttachment("first", "Content-Type: application/octet-stream; name=run.bat"));
            assertThat(refused.last().code()).isEqualTo(550);
            SmtpClient.Transaction ok = smtp.send("elsa@example.org", List.of("elsa@herald.test"),
                    "From: elsa@example.org\r\nSubject: second\r\n\r\nplain text, nothing attached\r\n");
            assertThat(ok.last().code()).isEqualTo(250);
            assertThat(smtp.quit().code()).isEqualTo(221);
        }
        List<Mailbox.Message> inbox = herald.mailbox("elsa@herald.test").inbox();
        assertThat(inbox).extracting(m -> m.header("Subject").orElse("")).contains("second").doesNotContain("first");
    }

    @Test
    void aMessageTooDeeplyNestedToCheckIsRefused() throws Exception {
        StringBuilder m = new StringBuilder("From: elsa@example.org\r\nSubject: deep\r\nMIME-Version: 1.0\r\n");
        for (int i = 0; i < 15; i++) m.append("Content-Type: multipart/mixed; boundary=b").append(i).append("\r\n\r\n--b").append(i).append("\r\n");
        m.append("Content-Type: text/plain\r\n\r\nbottom\r\n");
        for (int i = 14; i >= 0; i--) m.append("--b").append(i).append("--\r\n");
        Reply r = herald.send("elsa@example.org", "olaf@herald.test", m.toString()).last();
        assertThat(r.code()).isEqualTo(554);
        assertThat(r.enhancedCode()).contains("5.6.0");
    }
}
