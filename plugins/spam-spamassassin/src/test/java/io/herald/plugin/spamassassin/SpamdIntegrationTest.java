package io.herald.plugin.spamassassin;

import io.herald.api.mail.Envelope;
import io.herald.api.mail.MailAddress;
import io.herald.api.mail.MessageContent;
import io.herald.api.smtp.SessionInfo;
import io.herald.api.spam.SpamCheck;
import io.herald.api.spam.SpamVerdict;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The filter against a real SpamAssassin {@code spamd} started by the test ({@code -L}: shipped rules, no network).
 * Skipped, with the reason printed, where spamd is not installed ({@code .ci/run} installs it on Debian).
 */
class SpamdIntegrationTest {

    /** SpamAssassin's Generic Test for Unsolicited Bulk Email: scores 1000 by definition. */
    static final String GTUBE = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X";

    @TempDir static Path work;
    static Spamd spamd;

    @BeforeAll
    static void startSpamd() throws Exception {
        Optional<Path> exe = Spamd.executable();
        if (exe.isEmpty()) {
            System.out.println("SKIPPED SpamdIntegrationTest: no spamd on PATH or in /usr/sbin "
                    + "(Debian: apt-get install spamassassin spamd; .ci/run installs it)");
        }
        assumeTrue(exe.isPresent(), "spamd is not installed");
        spamd = Spamd.start(exe.get(), work);
    }

    @AfterAll
    static void stopSpamd() throws Exception {
        if (spamd != null) spamd.close();
    }

    static MessageContent message(String subject, String body) {
        String m = "Received: from mail.example.org (mail.example.org [192.0.2.10])\r\n"
                + "\tby mx.herald.test with ESMTP id 1; Fri, 04 Dec 2026 05:00:00 +0000\r\n"
                + "From: Anna Example <anna@example.org>\r\n"
                + "To: olaf@herald.test\r\n"
                + "Subject: " + subject + "\r\n"
                + "Date: Fri, 04 Dec 2026 05:00:00 +0000\r\n"
                + "Message-ID: <20261204050000.1234@mail.example.org>\r\n"
                + "MIME-Version: 1.0\r\n"
                + "Content-Type: text/plain; charset=us-ascii\r\n"
                + "\r\n" + body;
        return MessageContent.of(m.getBytes(StandardCharsets.US_ASCII));
    }

    static SpamCheck check(MessageContent m) throws Exception {
        SessionInfo s = new SessionInfo("t1", "smtp", new InetSocketAddress("127.0.0.1", 40000),
                new InetSocketAddress("127.0.0.1", 25), Optional.of("mail.example.org"), true, false, Optional.empty());
        return SpamCheck.of(s, new Envelope(Optional.of(new MailAddress("anna", "example.org")),
                List.of(new MailAddress("olaf", "herald.test")), Map.of()), m);
    }

    SpamAssassinFilter filter(String command) {
        return new SpamAssassinFilter(new TestConfig(Map.of("enabled", "true", "port", String.valueOf(spamd.port),
                "timeout", "30s", "command", command)));
    }

    @Test
    void gtubeIsSpamWithItsRuleAndPoints() throws Exception {
        SpamVerdict v = filter("REPORT").score(check(message("test", GTUBE + "\r\n")));
        assertThat(v.score()).isGreaterThanOrEqualTo(1000.0);
        assertThat(v.reasons()).anySatisfy(r -> {
            assertThat(r.name()).isEqualTo("SA_GTUBE");
            assertThat(r.score()).isEqualTo(1000.0);
            assertThat(r.description()).contains("Generic Test for Unsolicited Bulk Email");
        });
    }

    @Test
    void anOrdinaryMessageIsNotSpam() throws Exception {
        SpamdClient client = new SpamdClient("127.0.0.1", spamd.port, Duration.ofSeconds(30), Optional.empty());
        SpamdClient.Result r = client.check(SpamdClient.Command.REPORT, message("Lunch on Friday",
                "Hi Olaf,\r\n\r\nshall we meet for lunch on Friday at noon, at the usual place?\r\n\r\nAnna\r\n"));
        assertThat(r.spam()).isFalse();
        assertThat(r.score()).isLessThan(5.0);
        assertThat(r.threshold()).isEqualTo(5.0);
        SpamVerdict v = SpamAssassinFilter.verdict(r, 1.0);
        assertThat(v.score()).isEqualTo(r.score());
    }

    @Test
    void symbolsGivesTheRuleNamesAndTheWholeScoreInOneReason() throws Exception {
        SpamVerdict v = filter("SYMBOLS").score(check(message("test", GTUBE + "\r\n")));
        assertThat(v.score()).isGreaterThanOrEqualTo(1000.0);
        assertThat(v.reasons()).singleElement().satisfies(r -> {
            assertThat(r.name()).isEqualTo("SPAMASSASSIN");
            assertThat(r.description()).contains("GTUBE");
        });
    }

    @Test
    void aLargeMessageIsStreamedWhole() throws Exception {
        // 300 KB: spamd answers only after it has read Content-length bytes (it scans the first 50 KB of a part,
        // body_part_scan_size, so GTUBE goes first)
        StringBuilder body = new StringBuilder(GTUBE).append("\r\n");
        while (body.length() < 300_000) body.append("The quick brown fox jumps over the lazy dog, again and again.\r\n");
        SpamVerdict v = filter("REPORT").score(check(message("long", body.toString())));
        assertThat(v.score()).isGreaterThanOrEqualTo(1000.0);
    }
}
