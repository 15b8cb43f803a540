package io.herald.plugin.spamassassin;

import io.herald.api.spam.SpamVerdict;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

import static io.herald.plugin.spamassassin.SpamdIntegrationTest.check;
import static io.herald.plugin.spamassassin.SpamdIntegrationTest.message;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The protocol parser and the failure modes (every one must throw, so that the chain fails open). */
class SpamdClientTest {

    static InputStream reply(String s) {
        return new ByteArrayInputStream(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void parsesAReportAsSpamdWritesIt() throws IOException {
        String body = "Spam detection software, running on the system \"vm\",\n"
                + "has identified this incoming email as possible spam.\n\n"
                + "Content analysis details:   (7.5 points, 5.0 required)\n\n"
                + " pts rule name              description\n"
                + "---- ---------------------- --------------------------------------------------\n"
                + "-0.0 NO_RELAYS              Informational: message was not relayed via SMTP\n"
                + " 3.5 BAYES_99               BODY: Bayes spam probability is 99 to 100%\n"
                + "                            [score: 1.0000]\n"
                + "1000 GTUBE                  BODY: Generic Test for Unsolicited Bulk Email\n"
                + "-1.9 some_local_rule        a site's own rule\n\n\n";
        String r = "SPAMD/1.1 0 EX_OK\r\nContent-length: " + body.getBytes(StandardCharsets.UTF_8).length
                + "\r\nSpam: True ; 7.5 / 5.0\r\n\r\n" + body;
        SpamdClient.Result res = SpamdClient.parse(SpamdClient.Command.REPORT, reply(r));
        assertThat(res.spam()).isTrue();
        assertThat(res.score()).isEqualTo(7.5);
        assertThat(res.threshold()).isEqualTo(5.0);
        assertThat(res.rules()).extracting(SpamdClient.Rule::name).containsExactly("NO_RELAYS", "BAYES_99", "GTUBE", "some_local_rule");
        assertThat(res.rules().get(1).description()).isEqualTo("BODY: Bayes spam probability is 99 to 100% [score: 1.0000]");
        SpamVerdict v = SpamAssassinFilter.verdict(res, 2.0);
        assertThat(v.score()).isEqualTo(15.0);
        assertThat(v.reasons()).extracting(SpamVerdict.Reason::name).containsExactly("SA_BAYES_99", "SA_GTUBE", "SA_SOME_LOCAL_RULE");
        assertThat(v.reasons().get(0).score()).isEqualTo(7.0);
    }

    @Test
    void parsesSymbolsAndANegativeScore() throws IOException {
        SpamdClient.Result res = SpamdClient.parse(SpamdClient.Command.SYMBOLS,
                reply("SPAMD/1.1 0 EX_OK\r\nSpam: False ; -1.2 / 5.0\r\nContent-length: 22\r\n\r\nALL_TRUSTED,NO_RELAYS\n"));
        assertThat(res.spam()).isFalse();
        assertThat(res.score()).isEqualTo(-1.2);
        assertThat(res.rules()).extracting(SpamdClient.Rule::name).containsExactly("ALL_TRUSTED", "NO_RELAYS");
        assertThat(SpamAssassinFilter.verdict(res, 1.0).reasons()).singleElement()
                .satisfies(r -> assertThat(r.name()).isEqualTo("SPAMASSASSIN"));
    }

    @Test
    void refusesWhatIsNotASuccessfulReply() {
        assertThatThrownBy(() -> SpamdClient.parse(SpamdClient.Command.REPORT, reply("SPAMD/1.0 76 Bad header line: (Content-Length mismatch)\r\n")))
                .isInstanceOf(IOException.class).hasMessageContaining("76 Bad header line");
        assertThatThrownBy(() -> SpamdClient.parse(SpamdClient.Command.REPORT, reply("HTTP/1.1 200 OK\r\n\r\n")))
                .isInstanceOf(IOException.class).hasMessageContaining("not a spamd status line");
        assertThatThrownBy(() -> SpamdClient.parse(SpamdClient.Command.REPORT, reply("SPAMD/1.1 0 EX_OK\r\nContent-length: 0\r\n\r\n")))
                .isInstanceOf(IOException.class).hasMessageContaining("without a Spam header");
        assertThatThrownBy(() -> SpamdClient.parse(SpamdClient.Command.REPORT, reply("SPAMD/1.1 0 EX_OK\r\nSpam: maybe\r\n\r\n")))
                .isInstanceOf(IOException.class).hasMessageContaining("not a spamd Spam header");
        assertThatThrownBy(() -> SpamdClient.parse(SpamdClient.Command.REPORT, reply("SPAMD/1.1 0 EX_OK\r\nSpam: True ; 1 / 5\r\nContent-length: 50\r\n\r\nshort")))
                .isInstanceOf(IOException.class).hasMessageContaining("cut short");
        assertThatThrownBy(() -> SpamdClient.parse(SpamdClient.Command.REPORT, reply("")))
                .isInstanceOf(IOException.class).hasMessageContaining("without a reply");
    }

    @Test
    void aRefusedConnectionThrows() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        SpamAssassinFilter f = new SpamAssassinFilter(new TestConfig(Map.of("enabled", "true", "port", String.valueOf(port))));
        assertThatThrownBy(() -> f.score(check(message("x", "hello\r\n")))).isInstanceOf(IOException.class);
    }

    @Test
    void aSilentServerTimesOut() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CompletableFuture<Socket> held = CompletableFuture.supplyAsync(() -> {
                try {
                    return s.accept(); // accepts, reads nothing, answers nothing
                } catch (IOException e) {
                    return null;
                }
            });
            SpamAssassinFilter f = new SpamAssassinFilter(new TestConfig(Map.of("enabled", "true",
                    "port", String.valueOf(s.getLocalPort()), "timeout", "300ms")));
            assertThat(f.timeLimit()).contains(Duration.ofMillis(1300));
            assertThatThrownBy(() -> f.score(check(message("x", "hello\r\n")))).isInstanceOf(SocketTimeoutException.class);
            Socket c = held.get();
            if (c != null) c.close();
        }
    }

    @Test
    void tooLargeOrDisabledGivesNoOpinionWithoutConnecting() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort(); // closed: any connection attempt would throw
        }
        SpamAssassinFilter big = new SpamAssassinFilter(new TestConfig(Map.of("enabled", "true", "port", String.valueOf(port), "max.size", "100")));
        assertThat(big.score(check(message("x", "a".repeat(200) + "\r\n")))).isEqualTo(SpamVerdict.NONE);
        SpamAssassinFilter off = new SpamAssassinFilter(new TestConfig(Map.of("port", String.valueOf(port))));
        assertThat(off.score(check(message("x", "hello\r\n")))).isEqualTo(SpamVerdict.NONE);
    }

    @Test
    void refusesWrongConfiguration() {
        assertThatThrownBy(() -> new SpamAssassinFilter(new TestConfig(Map.of("command", "CHECKIT"))))
                .hasMessageContaining("command").hasMessageContaining("REPORT or SYMBOLS");
        assertThatThrownBy(() -> new SpamAssassinFilter(new TestConfig(Map.of("port", "70000")))).hasMessageContaining("port");
        assertThatThrownBy(() -> new SpamAssassinFilter(new TestConfig(Map.of("weight", "lots")))).hasMessageContaining("weight");
        assertThatThrownBy(() -> new SpamAssassinFilter(new TestConfig(Map.of("timeout", "0s")))).hasMessageContaining("timeout");
        assertThat(List.of(SpamAssassinFilter.reasonName("T_some.rule"))).containsExactly("SA_T_SOME_RULE");
    }
}
