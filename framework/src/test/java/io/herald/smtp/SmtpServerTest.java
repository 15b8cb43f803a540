package io.herald.smtp;

import io.herald.api.config.ServerIdentity;
import io.herald.api.mail.Envelope;
import io.herald.api.mail.MailAddress;
import io.herald.api.mail.MessageContent;
import io.herald.api.routing.Route;
import io.herald.api.routing.Router;
import io.herald.api.smtp.HeaderField;
import io.herald.api.smtp.HookResult;
import io.herald.api.smtp.SessionInfo;
import io.herald.api.smtp.SmtpHook;
import io.herald.config.ConfigStore;
import io.herald.host.ExtensionRegistry;
import io.herald.host.Plugin;
import jakarta.mail.Message;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

class SmtpServerTest {

    static final ServerIdentity IDENTITY = new ServerIdentity() {
        @Override public String hostname() { return "mx.herald.test"; }
        @Override public Set<String> localDomains() { return Set.of("herald.test", "localhost"); }
    };

    /** Local domain herald.test with users elsa and olaf (and postmaster); relay.test is relayed; the rest is not ours. */
    static final Router TEST_ROUTER = (envelope, rcpt) -> {
        if (rcpt.domain().equals("relay.test")) return new Route.Relay(List.of());
        if (!IDENTITY.isLocal(rcpt.domain())) return Route.pass();
        if (rcpt.isPostmaster() || Set.of("elsa", "olaf").contains(rcpt.localPart().toLowerCase())) return Route.local(rcpt.canonical());
        return Route.refuse(550, "5.1.1", "<" + rcpt + ">: no such user here");
    };

    @TempDir Path tmp;
    TempDirQueue queue;
    ExtensionRegistry registry;
    SmtpServer server;

    @AfterEach
    void stop() {
        if (server != null) server.close();
    }

    SmtpTestClient connect(Map<String, String> config, SmtpHook... hooks) throws Exception {
        Map<String, String> c = new HashMap<>(config);
        c.put("port", "0");
        queue = new TempDirQueue(tmp);
        registry = new ExtensionRegistry();
        registry.add(new Plugin("test-router", "1", List.of(), List.of(TEST_ROUTER), List.of(), List.of()));
        if (hooks.length > 0) registry.add(new Plugin("test-hooks", "1", List.of(hooks), List.of(), List.of(), List.of()));
        server = new SmtpServer(SmtpSettings.from(new ConfigStore.MapConfiguration("smtp", c)), IDENTITY, registry, queue);
        server.start();
        return client();
    }

    SmtpTestClient client() throws Exception {
        SmtpTestClient client = new SmtpTestClient(server.port());
        SmtpTestClient.Reply greeting = client.reply();
        assertThat(greeting.code()).isEqualTo(220);
        assertThat(greeting.last()).isEqualTo("220 mx.herald.test ESMTP Herald");
        return client;
    }

    static void expect(SmtpTestClient.Reply reply, int code, String enhanced) {
        assertThat(reply.code()).as(reply.text()).isEqualTo(code);
        assertThat(reply.enhanced()).as(reply.text()).isEqualTo(enhanced);
    }

    static void expectUsable(SmtpTestClient client) throws Exception {
        SmtpTestClient.Reply noop = client.command("NOOP");
        assertThat(noop.code()).as(noop.text()).isEqualTo(250);
    }

    // ------------------------------------------------------------------ (1) malformed and out-of-order commands

    static Stream<Arguments> badCommands() {
        List<String> ehlo = List.of("EHLO client.test");
        List<String> mail = List.of("EHLO client.test", "MAIL FROM:<sender@example.org>");
        List<String> rcpt = List.of("EHLO client.test", "MAIL FROM:<sender@example.org>", "RCPT TO:<elsa@herald.test>");
        return Stream.of(
                // name, setup, command, code, enhanced (null: none expected, e.g. before EHLO), closes
                Arguments.of("MAIL before EHLO", List.of(), "MAIL FROM:<a@example.org>", 503, null, false),
                Arguments.of("RCPT without MAIL", ehlo, "RCPT TO:<elsa@herald.test>", 503, "5.5.1", false),
                Arguments.of("DATA without MAIL", ehlo, "DATA", 503, "5.5.1", false),
                Arguments.of("DATA without RCPT", mail, "DATA", 503, "5.5.1", false),
                Arguments.of("nested MAIL", mail, "MAIL FROM:<b@example.org>", 503, "5.5.1", false),
                Arguments.of("unknown command", ehlo, "FOO bar", 500, "5.5.1", false),
                Arguments.of("empty line", ehlo, "", 500, "5.5.2", false),
                Arguments.of("EHLO without domain", List.of(), "EHLO", 501, null, false),
                Arguments.of("EHLO with junk", ehlo, "EHLO a b", 501, "5.5.2", false),
                Arguments.of("MAIL without brackets", ehlo, "MAIL FROM:sender@example.org", 501, "5.5.2", false),
                Arguments.of("MAIL TO:", ehlo, "MAIL TO:<sender@example.org>", 501, "5.5.2", false),
                Arguments.of("bad sender address", ehlo, "MAIL FROM:<a@@example.org>", 501, "5.1.7", false),
                Arguments.of("bad address literal", ehlo, "MAIL FROM:<a@[999.1.1.1]>", 501, "5.1.7", false),
                Arguments.of("unknown MAIL parameter", ehlo, "MAIL FROM:<a@example.org> FOO=BAR", 555, "5.5.4", false),
                Arguments.of("bad SIZE", ehlo, "MAIL FROM:<a@example.org> SIZE=abc", 501, "5.5.4", false),
                Arguments.of("bad BODY", ehlo, "MAIL FROM:<a@example.org> BODY=9BIT", 501, "5.5.4", false),
                Arguments.of("SMTPUTF8 with value", ehlo, "MAIL FROM:<a@example.org> SMTPUTF8=yes", 501, "5.5.4", false),
                Arguments.of("SIZE over limit", ehlo, "MAIL FROM:<a@example.org> SIZE=999999999999", 552, "5.3.4", false),
                Arguments.of("parameter after HELO", List.of("HELO client.test"), "MAIL FROM:<a@example.org> SIZE=10", 555, null, false),
                Arguments.of("UTF-8 sender without SMTPUTF8", ehlo, "MAIL FROM:<ölaf@example.org>", 553, "5.6.7", false),
                Arguments.of("UTF-8 recipient without SMTPUTF8", mail, "RCPT TO:<ölaf@herald.test>", 553, "5.6.7", false),
                Arguments.of("unknown local user", mail, "RCPT TO:<nobody@herald.test>", 550, "5.1.1", false),
                Arguments.of("relaying denied", mail, "RCPT TO:<someone@elsewhere.example>", 550, "5.7.1", false),
                Arguments.of("RCPT parameter", mail, "RCPT TO:<elsa@herald.test> NOTIFY=NEVER", 555, "5.5.4", false),
                Arguments.of("bad recipient address", mail, "RCPT TO:<el sa@herald.test>", 501, "5.1.3", false),
                Arguments.of("null recipient", mail, "RCPT TO:<>", 501, "5.1.3", false),
                Arguments.of("NUL in sender local part", ehlo, "MAIL FROM:<a\u0000b@example.com>", 501, "5.1.7", false),
                Arguments.of("NUL in recipient local part", mail, "RCPT TO:<el\u0000sa@herald.test>", 501, "5.1.3", false),
                Arguments.of("DEL in recipient domain", mail, "RCPT TO:<elsa@herald\u007f.test>", 501, "5.1.3", false),
                Arguments.of("unbalanced quote in sender", ehlo, "MAIL FROM:<\"ab@example.com>", 501, "5.1.7", false),
                Arguments.of("empty sender local part", ehlo, "MAIL FROM:<@example.com>", 501, "5.1.7", false),
                Arguments.of("dot at the end of recipient local part", mail, "RCPT TO:<elsa.@herald.test>", 501, "5.1.3", false),
                Arguments.of("recipient without @", mail, "RCPT TO:<elsa>", 501, "5.1.3", false),
                Arguments.of("sender local part of 65 octets", ehlo, "MAIL FROM:<" + "a".repeat(65) + "@example.com>", 501, "5.1.7", false),
                Arguments.of("VRFY", ehlo, "VRFY elsa", 252, "2.5.0", false),
                Arguments.of("VRFY without argument", ehlo, "VRFY", 501, "5.5.4", false),
                Arguments.of("HELP", ehlo, "HELP", 214, "2.0.0", false),
                Arguments.of("EXPN not implemented", ehlo, "EXPN staff", 502, "5.5.1", false),
                Arguments.of("RSET with argument", ehlo, "RSET now", 501, "5.5.4", false),
                Arguments.of("DATA with argument", rcpt, "DATA now", 501, "5.5.4", false),
                Arguments.of("BDAT without size", rcpt, "BDAT x", 501, "5.5.4", false),
                Arguments.of("BDAT without MAIL (bytes consumed)", ehlo, "BDAT 4\r\nxy", 503, "5.5.1", false),
                Arguments.of("BDAT without RCPT (bytes consumed)", mail, "BDAT 6 LAST\r\nNOOP", 503, "5.5.1", false),
                Arguments.of("DATA after BDAT", List.of("EHLO client.test", "MAIL FROM:<a@example.org>", "RCPT TO:<elsa@herald.test>", "BDAT 5\r\nabc"), "DATA", 503, "5.5.1", false),
                Arguments.of("RCPT after BDAT", List.of("EHLO client.test", "MAIL FROM:<a@example.org>", "RCPT TO:<elsa@herald.test>", "BDAT 5\r\nabc"), "RCPT TO:<olaf@herald.test>", 503, "5.5.1", false),
                Arguments.of("command line too long", ehlo, "NOOP " + "x".repeat(600), 500, "5.5.6", false),
                Arguments.of("command line 513 octets", ehlo, "NOOP " + "x".repeat(506), 500, "5.5.6", false),
                Arguments.of("command line 512 octets is fine", ehlo, "NOOP " + "x".repeat(505), 250, "2.0.0", false),
                Arguments.of("null reverse-path accepted", ehlo, "MAIL FROM:<>", 250, "2.1.0", false),
                Arguments.of("postmaster without domain", mail, "RCPT TO:<Postmaster>", 250, "2.1.5", false),
                Arguments.of("source route ignored", mail, "RCPT TO:<@a.example,@b.example:elsa@herald.test>", 250, "2.1.5", false),
                Arguments.of("quoted local part", mail, "RCPT TO:<\"Elsa\"@herald.test>", 250, "2.1.5", false),
                Arguments.of("relay route, unauthenticated", mail, "RCPT TO:<x@relay.test>", 550, "5.7.1", false),
                Arguments.of("IPv6 literal sender", ehlo, "MAIL FROM:<a@[IPv6:2001:db8::1]>", 250, "2.1.0", false),
                Arguments.of("UTF-8 with SMTPUTF8", ehlo, "MAIL FROM:<ölaf@hërald.example> SMTPUTF8", 250, "2.1.0", false),
                Arguments.of("QUIT", ehlo, "QUIT", 221, "2.0.0", true));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badCommands")
    void commandsGetTheRightReplyAndTheSessionStaysInSync(String name, List<String> setup, String command, int code,
                                                          String enhanced, boolean closes) throws Exception {
        try (SmtpTestClient c = connect(Map.of())) {
            for (String s : setup) assertThat(c.command(s).code()).as(s).isLessThan(400);
            expect(c.command(command), code, enhanced);
            if (closes) assertThat(c.closedByServer()).isTrue();
            else expectUsable(c);
        }
    }

    /**
     * Malformed addresses: the reply names the problem where it is (a NUL in the local part was "Address must have a
     * domain"), and the next valid command of the same kind works; a message accepted before is kept.
     */
    static Stream<Arguments> malformedAddresses() {
        return Stream.of(
                // where (MAIL or RCPT), path, enhanced code, text
                Arguments.of("MAIL", "<a\u0000b@example.com>", "5.1.7", "Control character U+0000 in the local part"),
                Arguments.of("RCPT", "<el\u0000sa@herald.test>", "5.1.3", "Control character U+0000 in the local part"),
                Arguments.of("MAIL", "<a\u001bb@example.com>", "5.1.7", "Control character U+001B in the local part"),
                Arguments.of("RCPT", "<\"el\u0000sa\"@herald.test>", "5.1.3", "Control character U+0000 in the quoted local part"),
                Arguments.of("RCPT", "<elsa@herald\u0000.test>", "5.1.3", "Control character U+0000 in the domain"),
                Arguments.of("MAIL", "<\"ab@example.com>", "5.1.7", "Unterminated quoted string"),
                Arguments.of("RCPT", "<el\"sa@herald.test>", "5.1.3", "Quote inside an unquoted local part"),
                Arguments.of("RCPT", "<\"el\"sa@herald.test>", "5.1.3", "Unexpected character 's' after the quoted local part"),
                Arguments.of("MAIL", "<@example.com>", "5.1.7", "Empty local part"),
                Arguments.of("RCPT", "<\"\"@herald.test>", "5.1.3", "Empty local part"),
                Arguments.of("MAIL", "<.ab@example.com>", "5.1.7", "Local part starts with a dot (quote it)"),
                Arguments.of("RCPT", "<elsa.@herald.test>", "5.1.3", "Local part ends with a dot (quote it)"),
                Arguments.of("RCPT", "<el..sa@herald.test>", "5.1.3", "Two dots in a row in the local part (quote it)"),
                Arguments.of("MAIL", "<ab>", "5.1.7", "Address must have a domain (no @)"),
                Arguments.of("RCPT", "<elsa@>", "5.1.3", "Empty domain after @"),
                Arguments.of("RCPT", "<elsa@herald..test>", "5.1.3", "Empty label in the domain (a dot at its start or end, or two in a row)"),
                Arguments.of("MAIL", "<a@exa_mple.com>", "5.1.7", "Unexpected character '_' in the domain"),
                Arguments.of("RCPT", "<el sa@herald.test>", "5.1.3", "Unexpected space in the local part"),
                Arguments.of("MAIL", "<" + "a".repeat(65) + "@example.com>", "5.1.7", "Local part longer than 64 octets (65)"),
                Arguments.of("RCPT", "<" + "e".repeat(65) + "@herald.test>", "5.1.3", "Local part longer than 64 octets (65)"));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("malformedAddresses")
    void malformedAddressesGetAPreciseReplyAndTheSessionGoesOn(String where, String path, String enhanced, String text) throws Exception {
        try (SmtpTestClient c = connect(Map.of())) {
            c.command("EHLO client.test");
            // a message accepted before the bad command is not lost by it
            expect(c.command("MAIL FROM:<first@example.org>"), 250, "2.1.0");
            expect(c.command("RCPT TO:<olaf@herald.test>"), 250, "2.1.5");
            c.command("DATA");
            expect(c.command("Subject: first\r\n\r\nkeep me\r\n."), 250, "2.0.0");
            if (where.equals("RCPT")) expect(c.command("MAIL FROM:<sender@example.org>"), 250, "2.1.0");
            SmtpTestClient.Reply r = c.command((where.equals("MAIL") ? "MAIL FROM:" : "RCPT TO:") + path);
            expect(r, 501, enhanced);
            assertThat(r.last()).isEqualTo("501 " + enhanced + " " + text);
            // the next valid command of the same kind works, and so does the rest of the transaction
            if (where.equals("MAIL")) expect(c.command("MAIL FROM:<sender@example.org>"), 250, "2.1.0");
            expect(c.command("RCPT TO:<elsa@herald.test>"), 250, "2.1.5");
            c.command("DATA");
            expect(c.command("Subject: second\r\n\r\nhi\r\n."), 250, "2.0.0");
            expectUsable(c);
        }
        assertThat(queue.committed).hasSize(2);
        assertThat(queue.committed.get(0).text()).contains("keep me");
        assertThat(queue.committed.get(1).envelope().recipients()).extracting(Object::toString).containsExactly("elsa@herald.test");
    }

    @Test
    void aPortInUseIsRefusedWithTheReason() throws Exception {
        connect(Map.of()).close();
        int taken = server.port();
        SmtpServer second = new SmtpServer(SmtpSettings.from(new ConfigStore.MapConfiguration("smtp", Map.of("port", Integer.toString(taken)))),
                IDENTITY, registry, queue);
        java.io.IOException e = assertThrows(java.io.IOException.class, second::start);
        assertThat(e.getMessage()).startsWith("cannot listen on 127.0.0.1:" + taken + " (smtp): ")
                .containsIgnoringCase("already in use").contains("--port-offset");
        try (SmtpTestClient c = client()) { expectUsable(c); } // the first server is untouched
    }

    @Test
    void tooManyErrorsCloseTheSession() throws Exception {
        try (SmtpTestClient c = connect(Map.of("maxErrors", "3"))) {
            c.command("EHLO client.test");
            c.command("MAIL FROM:<a@example.org>");
            c.command("RCPT TO:<elsa@herald.test>");
            c.command("DATA");
            expect(c.command("Subject: accepted first\r\n\r\nkeep me\r\n."), 250, "2.0.0");
            expect(c.command("FOO"), 500, "5.5.1");
            expect(c.command("BAR"), 500, "5.5.1");
            expect(c.command("BAZ"), 500, "5.5.1");
            expect(c.reply(), 421, "4.7.0");
            assertThat(c.closedByServer()).isTrue();
        }
        // bad input after a message was accepted never loses it
        assertThat(queue.committed).hasSize(1);
        assertThat(queue.committed.get(0).text()).contains("keep me");
    }

    /** RFC 6531 §3.3: UTF-8 only; an invalid byte must not turn into U+FFFD inside an address that is then accepted. */
    @Test
    void commandsThatAreNotValidUtf8AreRefusedNotGuessed() throws Exception {
        try (SmtpTestClient c = connect(Map.of())) {
            c.command("EHLO client.test");
            expect(c.command("MAIL FROM:<sender@example.org> SMTPUTF8"), 250, "2.1.0");
            byte[] latin1 = "RCPT TO:<ölaf@herald.test>\r\n".getBytes(StandardCharsets.ISO_8859_1);
            c.send(latin1);
            expect(c.reply(), 501, "5.5.2");
            c.send(new byte[] {'R', 'C', 'P', 'T', ' ', 'T', 'O', ':', '<', 'e', 'l', 's', 'a', (byte) 0xC3, '@', 'h', 'e', 'r', 'a', 'l', 'd',
                    '.', 't', 'e', 's', 't', '>', '\r', '\n'});
            expect(c.reply(), 501, "5.5.2");
            // valid UTF-8 is still read as such, and the transaction goes on
            expect(c.command("RCPT TO:<elsa@herald.test>"), 250, "2.1.5");
            c.command("DATA");
            expect(c.command("Subject: s\r\n\r\nok\r\n."), 250, "2.0.0");
            expectUsable(c);
        }
        assertThat(queue.committed).hasSize(1);
        assertThat(queue.committed.get(0).envelope().recipients()).extracting(Object::toString).containsExactly("elsa@herald.test");
    }

    @Test
    void aConnectHookCanRefuseTheSession() throws Exception {
        SmtpHook refuse = new SmtpHook() {
            @Override public HookResult onConnect(SessionInfo s) { return HookResult.reject(554, "5.7.1", "No SMTP service here"); }
        };
        connect(Map.of()).close();
        registry.add(new Plugin("gate", "1", List.of(refuse), List.of(), List.of(), List.of()));
        try (SmtpTestClient c = new SmtpTestClient(server.port())) {
            SmtpTestClient.Reply r = c.reply();
            assertThat(r.last()).isEqualTo("554 No SMTP service here");
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void tooManyRecipients() throws Exception {
        try (SmtpTestClient c = connect(Map.of("maxRecipients", "2"))) {
            c.command("EHLO client.test");
            c.command("MAIL FROM:<a@example.org>");
            expect(c.command("RCPT TO:<elsa@herald.test>"), 250, "2.1.5");
            expect(c.command("RCPT TO:<olaf@herald.test>"), 250, "2.1.5");
            expect(c.command("RCPT TO:<postmaster@herald.test>"), 452, "4.5.3");
            c.command("DATA");
            expect(c.command("Subject: x\r\n\r\nhi\r\n."), 250, "2.0.0");
            assertThat(queue.committed.get(0).envelope().recipients()).hasSize(2);
        }
    }

    @Test
    void timeoutClosesWith421() throws Exception {
        try (SmtpTestClient c = connect(Map.of("commandTimeout", "1s"))) {
            c.command("EHLO client.test");
            expect(c.reply(), 421, "4.4.2");   // waits for the server's timeout; no assertion on how long it took
            assertThat(c.closedByServer()).isTrue();
        }
    }

    // ------------------------------------------------------------------ (2) SMTP smuggling

    @ParameterizedTest(name = "smuggling with {0}")
    @ValueSource(strings = {"<LF>.<LF>", "<LF>.<CRLF>", "<CR>.<CR>", "<CRLF>.<LF>"})
    void smugglingAttemptsAreRefusedAndTheSessionStaysInSync(String variant) throws Exception {
        String separator = variant.replace("<CRLF>", "\r\n").replace("<LF>", "\n").replace("<CR>", "\r");
        try (SmtpTestClient c = connect(Map.of())) {
            c.command("EHLO client.test");
            c.command("MAIL FROM:<sender@example.org>");
            c.command("RCPT TO:<elsa@herald.test>");
            expect(c.command("DATA"), 354, null);
            c.send("Subject: first\r\n\r\nhello" + separator
                    + "MAIL FROM:<evil@example.org>\r\nRCPT TO:<olaf@herald.test>\r\nDATA\r\nSubject: smuggled\r\n\r\nsmuggled\r\n.\r\n");
            expect(c.reply(), 550, "5.6.11");
            expectUsable(c);
            // the smuggled commands were data, not commands: no transaction is open
            expect(c.command("RCPT TO:<olaf@herald.test>"), 503, "5.5.1");
            // and a proper message still goes through
            c.command("MAIL FROM:<sender@example.org>");
            c.command("RCPT TO:<elsa@herald.test>");
            c.command("DATA");
            expect(c.command("Subject: clean\r\n\r\nclean\r\n."), 250, "2.0.0");
            assertThat(queue.committed).hasSize(1);
            assertThat(queue.committed.get(0).text()).contains("clean").doesNotContain("smuggled");
            assertThat(queue.committed.get(0).envelope().recipients()).extracting(MailAddress::localPart).containsExactly("elsa");
        }
    }

    @Test
    void connectionsOneAfterAnotherAreServedAndCloseEndsTheIoThreads() throws Exception {
        List<Thread> ioThreads = new ArrayList<>();
        try (SmtpTestClient first = connect(Map.of())) {
            first.command("EHLO client.test");
            expect(first.command("QUIT"), 221, "2.0.0");
        }
        for (int i = 0; i < 5; i++) {
            // the I/O processors keep their threads between connections (ResidentNioProcessor)
            try (SmtpTestClient c = client()) {
                expect(c.command("EHLO client.test"), 250, null);
                for (Thread t : Thread.getAllStackTraces().keySet()) {
                    if (t.getName().startsWith("ResidentNioProcessor-") && !ioThreads.contains(t)) ioThreads.add(t);
                }
                expect(c.command("QUIT"), 221, "2.0.0");
            }
        }
        assertThat(ioThreads).isNotEmpty();
        server.close();
        server = null;
        for (Thread t : ioThreads) t.join(30_000);
        assertThat(ioThreads).as("processor threads left running after close").noneMatch(Thread::isAlive);
    }

    // ------------------------------------------------------------------ (3) pipelining

    @ParameterizedTest(name = "commit completed on the caller''s thread: {0}")
    @ValueSource(booleans = {false, true})
    void aWholePipelinedTransactionInOneWrite(boolean commitOnCaller) throws Exception {
        try (SmtpTestClient c = connect(Map.of())) {
            queue.commitOnCaller = commitOnCaller;
            c.send("EHLO client.test\r\nMAIL FROM:<sender@example.org> BODY=8BITMIME\r\nRCPT TO:<elsa@herald.test>\r\n"
                    + "RCPT TO:<nobody@herald.test>\r\nRCPT TO:<olaf@herald.test>\r\nDATA\r\n"
                    + "Subject: pipelined\r\n\r\nbody\r\n.\r\nNOOP\r\nQUIT\r\n");
            SmtpTestClient.Reply ehlo = c.reply();
            assertThat(ehlo.lines()).contains("250-PIPELINING", "250-SIZE 52428800", "250-8BITMIME", "250-ENHANCEDSTATUSCODES",
                    "250-SMTPUTF8", "250-CHUNKING");
            expect(c.reply(), 250, "2.1.0");
            expect(c.reply(), 250, "2.1.5");
            expect(c.reply(), 550, "5.1.1");
            expect(c.reply(), 250, "2.1.5");
            expect(c.reply(), 354, null);
            SmtpTestClient.Reply queued = c.reply();
            expect(queued, 250, "2.0.0");
            expect(c.reply(), 250, "2.0.0");
            expect(c.reply(), 221, "2.0.0");
            assertThat(c.closedByServer()).isTrue();
            assertThat(queue.committed).hasSize(1);
            TempDirQueue.Committed m = queue.committed.get(0);
            assertThat(queued.last()).isEqualTo("250 2.0.0 Ok: queued as " + m.id());
            assertThat(m.envelope().recipients()).extracting(MailAddress::toString).containsExactly("elsa@herald.test", "olaf@herald.test");
            assertThat(m.envelope().mailParameters()).containsEntry("BODY", "8BITMIME");
            assertThat(m.text()).startsWith("Received: from client.test ([127.0.0.1])\r\n\tby mx.herald.test with ESMTP id " + m.id() + "\r\n\t");
            assertThat(new String(m.body(), StandardCharsets.UTF_8)).isEqualTo("Subject: pipelined\r\n\r\nbody\r\n");
        }
    }

    @Test
    void smtputf8TransactionIsTracedAsUtf8Smtp() throws Exception {
        try (SmtpTestClient c = connect(Map.of())) {
            c.command("EHLO client.test");
            expect(c.command("MAIL FROM:<ölaf@hërald.example> SMTPUTF8"), 250, "2.1.0");
            expect(c.command("RCPT TO:<elsa@herald.test>"), 250, "2.1.5");
            c.command("DATA");
            expect(c.command("Subject: Grüße\r\n\r\nÜnïcödé\r\n."), 250, "2.0.0");
        }
        TempDirQueue.Committed m = queue.committed.get(0);
        assertThat(m.envelope().reversePath()).contains(new MailAddress("ölaf", "hërald.example"));
        assertThat(m.envelope().mailParameters()).containsKey("SMTPUTF8");
        assertThat(m.text()).contains("with UTF8SMTP id " + m.id()).contains("for <elsa@herald.test>;").endsWith("Ünïcödé\r\n");
    }

    // ------------------------------------------------------------------ (4) SIZE

    @Test
    void sizeIsCheckedAtMailAndWhileReceiving() throws Exception {
        try (SmtpTestClient c = connect(Map.of("maxMessageSize", "2000"))) {
            assertThat(c.command("EHLO client.test").lines()).contains("250-SIZE 2000");
            expect(c.command("MAIL FROM:<a@example.org> SIZE=2001"), 552, "5.3.4");
            expect(c.command("MAIL FROM:<a@example.org> SIZE=100"), 250, "2.1.0");
            c.command("RCPT TO:<elsa@herald.test>");
            expect(c.command("DATA"), 354, null);
            c.send("Subject: big\r\n\r\n" + ("x".repeat(70) + "\r\n").repeat(100));
            expect(c.command("."), 552, "5.3.4");
            expectUsable(c);
            // BDAT over the limit: the chunk is read to its end, then refused; the transaction is over
            c.command("MAIL FROM:<a@example.org>");
            c.command("RCPT TO:<elsa@herald.test>");
            c.send("BDAT 3000\r\n" + "y".repeat(3000));
            expect(c.reply(), 552, "5.3.4");
            c.send("BDAT 2 LAST\r\nab");
            expect(c.reply(), 503, "5.5.1");
            expectUsable(c);
            // a message just under the limit passes
            c.command("MAIL FROM:<a@example.org> SIZE=1000");
            c.command("RCPT TO:<elsa@herald.test>");
            c.command("DATA");
            expect(c.command("z".repeat(900) + "\r\n."), 250, "2.0.0");
            assertThat(queue.committed).hasSize(1);
            assertThat(queue.discarded.get()).isEqualTo(2);
        }
    }

    // ------------------------------------------------------------------ (5) BDAT

    @Test
    void bdatChunksWithBinaryContent() throws Exception {
        ByteArrayOutputStream chunk1 = new ByteArrayOutputStream();
        chunk1.writeBytes("Subject: chunks\r\n\r\nline\r\n.\r\n..dots stay\nbare LF\rbare CR\u0000NUL ".getBytes(StandardCharsets.ISO_8859_1));
        for (int b = 0; b < 256; b++) chunk1.write(b);
        byte[] c1 = chunk1.toByteArray();
        byte[] c2 = "\r\nQUIT\r\nlast line\r\n".getBytes(StandardCharsets.US_ASCII);
        try (SmtpTestClient c = connect(Map.of())) {
            c.command("EHLO client.test");
            c.command("MAIL FROM:<a@example.org> BODY=8BITMIME");
            c.command("RCPT TO:<elsa@herald.test>");
            c.send(("BDAT " + c1.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
            c.send(c1);
            SmtpTestClient.Reply r1 = c.reply();
            expect(r1, 250, "2.0.0");
            assertThat(r1.last()).contains(c1.length + " octets received");
            c.send(("BDAT " + c2.length + " LAST\r\n").getBytes(StandardCharsets.US_ASCII));
            c.send(c2);
            expect(c.reply(), 250, "2.0.0");
            expectUsable(c);
            // BDAT 0 LAST ends a message too
            c.command("MAIL FROM:<a@example.org>");
            c.command("RCPT TO:<olaf@herald.test>");
            c.send("BDAT 4\r\nab\r\n");
            expect(c.reply(), 250, "2.0.0");
            expect(c.command("BDAT 0 LAST"), 250, "2.0.0");
        }
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        expected.writeBytes(c1);
        expected.writeBytes(c2);
        assertThat(queue.committed).hasSize(2);
        assertThat(queue.committed.get(0).body()).isEqualTo(expected.toByteArray());
        assertThat(queue.committed.get(1).body()).isEqualTo("ab\r\n".getBytes(StandardCharsets.US_ASCII));
    }

    /**
     * An empty message is accepted the same way by DATA ("." at once) and by BDAT 0 LAST as the only chunk, as Postfix
     * 3.7 does (250 for both; it stores its Received: field) and as RFC 5321 allows (§4.1.1.4 and §4.5.2 put no lower
     * bound on the mail data; RFC 3030 §2 has a chunk size of 0). What is stored is never a zero-byte file: the core's
     * own Received: field comes first (§4.4). The session goes on, and the message accepted before is kept.
     */
    @Test
    void anEmptyMessageIsAcceptedAlikeByDataAndByBdatAndCarriesTheTraceField() throws Exception {
        try (SmtpTestClient c = connect(Map.of())) {
            c.command("EHLO client.test");
            c.command("MAIL FROM:<a@example.org>");
            c.command("RCPT TO:<elsa@herald.test>");
            c.command("DATA");
            expect(c.command("Subject: before\r\n\r\nkeep me\r\n."), 250, "2.0.0");
            // DATA, then the end of data at once
            expect(c.command("MAIL FROM:<a@example.org>"), 250, "2.1.0");
            expect(c.command("RCPT TO:<elsa@herald.test>"), 250, "2.1.5");
            expect(c.command("DATA"), 354, null);
            SmtpTestClient.Reply data = c.command(".");
            expect(data, 250, "2.0.0");
            assertThat(data.last()).startsWith("250 2.0.0 Ok: queued as ");
            // BDAT 0 LAST as the only chunk
            expect(c.command("MAIL FROM:<a@example.org>"), 250, "2.1.0");
            expect(c.command("RCPT TO:<olaf@herald.test>"), 250, "2.1.5");
            SmtpTestClient.Reply bdat = c.command("BDAT 0 LAST");
            expect(bdat, 250, "2.0.0");
            assertThat(bdat.last()).startsWith("250 2.0.0 Ok: queued as ");
            expectUsable(c);
        }
        assertThat(queue.committed).hasSize(3);
        assertThat(queue.committed.get(0).text()).contains("keep me");
        for (TempDirQueue.Committed empty : List.of(queue.committed.get(1), queue.committed.get(2))) {
            assertThat(empty.body()).as("nothing of the client's").isEmpty();
            assertThat(empty.text()).startsWith("Received: from client.test").contains("by mx.herald.test")
                    .contains("id " + empty.id()).endsWith("\r\n");
        }
    }

    // ------------------------------------------------------------------ (6) dot-unstuffing and exact round trip

    @Test
    void dotStuffingIsRemovedAndBytesRoundTrip() throws Exception {
        List<byte[]> messages = new ArrayList<>();
        messages.add(("Subject: dots\r\n\r\n.\r\n..\r\n.leading\r\n...\r\nmiddle . dot\r\n. space\r\n"
                + "8bit: \u00e9\u00e8\r\n").getBytes(StandardCharsets.UTF_8));
        messages.add("Subject: no body\r\n".getBytes(StandardCharsets.US_ASCII));
        // every 50th message of the shared corpus (real mail, MIME edge cases; 8-bit bytes, lines over 998 octets),
        // with its line endings made CRLF as an SMTP client sends them
        Path corpus = Path.of(System.getProperty("herald.corpus", "../../shared/corpus"));
        Path manifest = corpus.resolve("manifest.tsv");
        if (Files.isRegularFile(manifest)) {
            List<String> rows = Files.readAllLines(manifest, StandardCharsets.UTF_8).stream()
                    .map(row -> row.split("\t")).filter(f -> f.length > 1 && !f[1].equals("doc") && !f[0].equals("path")).map(f -> f[0]).toList();
            for (int k = 0; k < rows.size(); k += 50) messages.add(toCrlf(Files.readAllBytes(corpus.resolve(rows.get(k)))));
        }
        try (SmtpTestClient c = connect(Map.of("maxLineLength", "0", "maxMessageSize", "100000000"))) {
            c.command("EHLO client.test");
            for (byte[] m : messages) {
                c.command("MAIL FROM:<a@example.org>");
                c.command("RCPT TO:<elsa@herald.test>");
                expect(c.command("DATA"), 354, null);
                c.send(dotStuff(m));
                expect(c.command("."), 250, "2.0.0");
            }
        }
        assertThat(queue.committed).hasSize(messages.size());
        for (int k = 0; k < messages.size(); k++) assertThat(queue.committed.get(k).body()).isEqualTo(messages.get(k));
    }

    /**
     * RFC 5321 §4.5.3.1.6 makes 1000 octets the least a receiver must accept, not a limit: by default lines up to
     * 65536 octets (with CRLF) are accepted byte for byte; a longer one refuses that message with 500 5.5.6 naming
     * the line, the session goes on, and what was accepted before it is kept.
     */
    @Test
    void textLinesOver1000OctetsAreAcceptedIntactAndOnlyLinesOverTheLimitRefuseTheMessage() throws Exception {
        byte[] longLines = ("Subject: long lines\r\n\r\n" + "x".repeat(998) + "\r\n" + "y".repeat(5000) + "\r\n."
                + "z".repeat(SmtpSettings.DEFAULT_MAX_LINE_LENGTH - 3) + "\r\n").getBytes(StandardCharsets.US_ASCII);
        byte[] tooLong = ("Subject: too long\r\n\r\nfine\r\n" + "w".repeat(SmtpSettings.DEFAULT_MAX_LINE_LENGTH - 1)
                + "\r\n").getBytes(StandardCharsets.US_ASCII);
        try (SmtpTestClient c = connect(Map.of())) {
            c.command("EHLO client.test");
            c.command("MAIL FROM:<a@example.org>");
            c.command("RCPT TO:<elsa@herald.test>");
            expect(c.command("DATA"), 354, null);
            c.send(dotStuff(longLines));   // the last line starts with a dot: 65537 octets sent, 65536 counted
            expect(c.command("."), 250, "2.0.0");

            c.command("MAIL FROM:<a@example.org>");
            c.command("RCPT TO:<elsa@herald.test>");
            expect(c.command("DATA"), 354, null);
            c.send(dotStuff(tooLong));
            SmtpTestClient.Reply refused = c.command(".");
            expect(refused, 500, "5.5.6");
            assertThat(refused.last()).isEqualTo("500 5.5.6 Line too long: line 4 of the message has more than "
                    + SmtpSettings.DEFAULT_MAX_LINE_LENGTH + " octets including CRLF (the limit here)");
            expectUsable(c);

            c.command("MAIL FROM:<a@example.org>");
            c.command("RCPT TO:<olaf@herald.test>");
            expect(c.command("DATA"), 354, null);
            c.send("Subject: after\r\n\r\nstill here\r\n");
            expect(c.command("."), 250, "2.0.0");
        }
        assertThat(queue.committed).hasSize(2);
        assertThat(queue.committed.get(0).body()).isEqualTo(longLines);
        assertThat(new String(queue.committed.get(1).body(), StandardCharsets.US_ASCII)).contains("still here");
    }

    @Test
    void aLowerConfiguredLimitRefusesLongerLines() throws Exception {
        try (SmtpTestClient c = connect(Map.of("maxLineLength", "1000"))) {
            c.command("EHLO client.test");
            c.command("MAIL FROM:<a@example.org>");
            c.command("RCPT TO:<elsa@herald.test>");
            c.command("DATA");
            c.send("Subject: long\r\n\r\n" + "x".repeat(998) + "\r\n" + "y".repeat(999) + "\r\n");
            SmtpTestClient.Reply r = c.command(".");
            expect(r, 500, "5.5.6");
            assertThat(r.last()).contains("line 4 ", "more than 1000 octets");
            expectUsable(c);
            assertThat(queue.committed).isEmpty();
        }
    }

    static byte[] toCrlf(byte[] in) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(in.length + 1000);
        for (int k = 0; k < in.length; k++) {
            byte b = in[k];
            if (b == '\n' && (k == 0 || in[k - 1] != '\r')) out.write('\r');
            if (b == '\r' && (k + 1 == in.length || in[k + 1] != '\n')) { out.write('\r'); out.write('\n'); continue; }
            out.write(b);
        }
        byte[] r = out.toByteArray();
        if (r.length > 0 && r[r.length - 1] != '\n') return (new String(r, StandardCharsets.ISO_8859_1) + "\r\n").getBytes(StandardCharsets.ISO_8859_1);
        return r;
    }

    /** RFC 5321 §4.5.2: a line starting with a dot gets one more dot. */
    static byte[] dotStuff(byte[] m) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(m.length + 100);
        boolean lineStart = true;
        for (byte b : m) {
            if (lineStart && b == '.') out.write('.');
            out.write(b);
            lineStart = b == '\n';
        }
        return out.toByteArray();
    }

    // ------------------------------------------------------------------ (7) hooks that throw or hang

    @Test
    void hooksThatThrowOrHangDoNotStopMail() throws Exception {
        SmtpHook throwing = new SmtpHook() {
            @Override public int priority() { return 1; }
            @Override public HookResult onConnect(SessionInfo s) { throw new IllegalStateException("boom"); }
            @Override public HookResult onHelo(SessionInfo s, String helo) { throw new IllegalStateException("boom"); }
            @Override public HookResult onMail(SessionInfo s, Optional<MailAddress> from) { throw new IllegalStateException("boom"); }
            @Override public HookResult onRcpt(SessionInfo s, Envelope e, MailAddress r) { throw new IllegalStateException("boom"); }
            @Override public HookResult onMessage(SessionInfo s, Envelope e, MessageContent m) { throw new IllegalStateException("boom"); }
        };
        SmtpHook hanging = new SmtpHook() {
            @Override public int priority() { return 2; }
            @Override public HookResult onRcpt(SessionInfo s, Envelope e, MailAddress r) { return hang(); }
            @Override public HookResult onMessage(SessionInfo s, Envelope e, MessageContent m) { return hang(); }

            HookResult hang() {
                try {
                    Thread.sleep(600_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return HookResult.reject(554, "5.7.1", "should never be seen");
            }
        };
        SmtpHook tagging = new SmtpHook() {
            @Override public int priority() { return 3; }
            @Override public HookResult onMessage(SessionInfo s, Envelope e, MessageContent m) {
                return HookResult.next(List.of(new HeaderField("X-Test-Size", String.valueOf(m.size()))));
            }
        };
        try (SmtpTestClient c = connect(Map.of("hookTimeout", "200ms"), throwing, hanging, tagging)) {
            expect(c.command("EHLO client.test"), 250, null);
            expect(c.command("MAIL FROM:<a@example.org>"), 250, "2.1.0");
            expect(c.command("RCPT TO:<elsa@herald.test>"), 250, "2.1.5");
            c.command("DATA");
            expect(c.command("Subject: hooks\r\n\r\nstill delivered\r\n."), 250, "2.0.0");
        }
        assertThat(queue.committed).hasSize(1);
        assertThat(queue.committed.get(0).headers()).extracting(HeaderField::name).containsExactly("X-Test-Size");
    }

    @Test
    void hookRefusalsAndRouterFailures() throws Exception {
        SmtpHook refusing = new SmtpHook() {
            @Override public HookResult onRcpt(SessionInfo s, Envelope e, MailAddress r) {
                return r.localPart().equals("olaf") ? HookResult.defer(450, "4.7.1", "Try olaf later") : HookResult.next();
            }
            @Override public HookResult onMessage(SessionInfo s, Envelope e, MessageContent m) {
                return HookResult.reject(554, "5.7.1", "Spam refused");
            }
        };
        try (SmtpTestClient c = connect(Map.of(), refusing)) {
            registry.add(new Plugin("broken-router", "1", List.of(), List.of(new Router() {
                @Override public int priority() { return 1; }
                @Override public Route route(Envelope e, MailAddress r) {
                    if (r.domain().equals("broken.test")) throw new IllegalStateException("router down");
                    return Route.pass();
                }
            }), List.of(), List.of()));
            c.command("EHLO client.test");
            c.command("MAIL FROM:<a@example.org>");
            // the registry changed after connect: this session keeps its snapshot (no broken router yet)
            expect(c.command("RCPT TO:<x@broken.test>"), 550, "5.7.1");
            expect(c.command("RCPT TO:<olaf@herald.test>"), 450, "4.7.1");
            expect(c.command("RCPT TO:<elsa@herald.test>"), 250, "2.1.5");
            c.command("DATA");
            expect(c.command("Subject: spam\r\n\r\nbuy\r\n."), 554, "5.7.1");
            expectUsable(c);
        }
        try (SmtpTestClient c = client()) {
            c.command("EHLO client.test");
            c.command("MAIL FROM:<a@example.org>");
            expect(c.command("RCPT TO:<x@broken.test>"), 451, "4.3.0");
            expectUsable(c);
        }
        assertThat(queue.committed).isEmpty();
    }

    @Test
    void aRouterThatFindsNoMailboxStoreYetGetsTheStartUpAnswerAndIsNotCountedAsFailing() throws Exception {
        // auth-file asks the store whether a user's mailbox exists; at start-up no store is active yet
        Router askingTheStore = new Router() {
            @Override public int priority() { return 1; }
            @Override public Route route(Envelope e, MailAddress r) {
                if (r.domain().equals("starting.test")) throw new io.herald.host.ActiveMailboxStore.NoStoreException();
                if (r.domain().equals("broken.test")) throw new IllegalStateException("router down");
                return r.domain().equals("ready.test") ? Route.local("elsa@herald.test") : Route.pass();
            }
        };
        try (SmtpTestClient c = connect(Map.of())) {
            registry.add(new Plugin("store-asking-router", "1", List.of(), List.of(askingTheStore), List.of(), List.of()));
        }
        try (SmtpTestClient c = client()) {
            c.command("EHLO client.test");
            c.command("MAIL FROM:<a@example.org>");
            for (int i = 0; i < 7; i++) {   // more than the circuit breaker's 5
                SmtpTestClient.Reply r = c.command("RCPT TO:<u" + i + "@starting.test>");
                expect(r, 451, "4.3.0");
                assertThat(r.last()).isEqualTo("451 4.3.0 No mailbox store is active yet, try again later");
            }
            // not quarantined: the same router still answers
            expect(c.command("RCPT TO:<x@ready.test>"), 250, "2.1.5");
            // a router that really fails keeps its own answer
            SmtpTestClient.Reply broken = c.command("RCPT TO:<x@broken.test>");
            expect(broken, 451, "4.3.0");
            assertThat(broken.last()).isEqualTo("451 4.3.0 Temporary routing failure, try again later");
            c.command("DATA");
            expect(c.command("Subject: after start-up\r\n\r\nx\r\n."), 250, "2.0.0");
        }
        assertThat(queue.committed).singleElement().extracting(q -> q.envelope().recipients().toString())
                .isEqualTo("[x@ready.test]");
    }

    // ------------------------------------------------------------------ (7b) routers and hooks that never block

    /** Not a thread of the hook executor ({@code smtp-hook-N}): the I/O thread that read the command. */
    static boolean onHookExecutor(String thread) {
        return thread.startsWith("smtp-hook-");
    }

    @Test
    void aRouterThatAnswersWithoutBlockingRunsWithoutAHandOffAndOneThatCannotStillGetsIt() throws Exception {
        List<String> fastThreads = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<String> slowThreads = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.concurrent.atomic.AtomicInteger fastRouteCalls = new java.util.concurrent.atomic.AtomicInteger();
        Router fast = new Router() {
            @Override public int priority() { return 1; }
            @Override public Route route(Envelope e, MailAddress r) {
                fastRouteCalls.incrementAndGet();
                return answer(r);
            }
            @Override public Optional<Route> routeWithoutBlocking(Envelope e, MailAddress r) {
                fastThreads.add(Thread.currentThread().getName());
                if (r.domain().equals("slow.test")) return Optional.empty();   // e.g. a lookup that may block
                if (r.domain().equals("broken.test")) throw new IllegalStateException("fast router down");
                return Optional.of(answer(r));
            }
            Route answer(MailAddress r) {
                if (r.domain().equals("fast.test")) return Route.local("fast@herald.test");
                if (r.domain().equals("refused.test")) return Route.refuse(550, "5.1.1", "<" + r + ">: refused fast");
                return Route.pass();
            }
        };
        Router slow = new Router() {
            @Override public int priority() { return 2; }
            @Override public Route route(Envelope e, MailAddress r) {
                slowThreads.add(Thread.currentThread().getName());
                return r.domain().equals("slow.test") ? Route.local("slow@herald.test") : Route.pass();
            }
        };
        try (SmtpTestClient c = connect(Map.of())) {
            registry.add(new Plugin("fast-and-slow", "1", List.of(), List.of(fast, slow), List.of(), List.of()));
        }
        try (SmtpTestClient c = client()) {
            expect(c.command("EHLO client.test"), 250, null);
            expect(c.command("MAIL FROM:<a@example.org>"), 250, "2.1.0");
            expect(c.command("RCPT TO:<x@fast.test>"), 250, "2.1.5");
            assertThat(fastThreads).singleElement().matches(t -> !onHookExecutor(t), "not a hook thread");
            assertThat(slowThreads).isEmpty();
            expect(c.command("RCPT TO:<x@refused.test>"), 550, "5.1.1");
            assertThat(slowThreads).isEmpty();
            // the fast router cannot answer: its route() runs on the hook executor, then the slow router
            expect(c.command("RCPT TO:<x@slow.test>"), 250, "2.1.5");
            assertThat(fastRouteCalls).hasValue(1);
            assertThat(slowThreads).singleElement().matches(SmtpServerTest::onHookExecutor, "a hook thread");
            // a failure on the fast path fails the recipient like a failed route(): 451, the session goes on
            expect(c.command("RCPT TO:<x@broken.test>"), 451, "4.3.0");
            // elsa: passed by the fast router on the I/O thread, then the slow one and the test router on hook threads
            expect(c.command("RCPT TO:<elsa@herald.test>"), 250, "2.1.5");
            assertThat(fastThreads).hasSize(5).allMatch(t -> !onHookExecutor(t));
            c.command("DATA");
            expect(c.command("Subject: routed\r\n\r\nx\r\n."), 250, "2.0.0");
        }
        assertThat(queue.committed).singleElement().extracting(q -> q.envelope().recipients().toString())
                .isEqualTo("[x@fast.test, x@slow.test, elsa@herald.test]");
    }

    @Test
    void aNonBlockingHookRunsWithoutAHandOffAndItsFailuresAreHandledLikeAnyHooks() throws Exception {
        List<String> threads = new java.util.concurrent.CopyOnWriteArrayList<>();
        SmtpHook quick = new SmtpHook() {
            @Override public int priority() { return 1; }
            @Override public boolean nonBlocking(SessionInfo s) { return true; }
            @Override public HookResult onRcpt(SessionInfo s, Envelope e, MailAddress r) {
                threads.add("quick rcpt " + Thread.currentThread().getName());
                if (r.localPart().equals("olaf")) return HookResult.defer(450, "4.7.1", "Try olaf later");
                if (r.localPart().equals("postmaster")) throw new IllegalStateException("boom");   // fail open: Next
                return HookResult.next();
            }
            @Override public HookResult onMessage(SessionInfo s, Envelope e, MessageContent m) {
                threads.add("quick message " + Thread.currentThread().getName());
                return HookResult.next(List.of(new HeaderField("X-Quick", "yes")));
            }
        };
        SmtpHook blocking = new SmtpHook() {
            @Override public int priority() { return 2; }
            @Override public HookResult onMessage(SessionInfo s, Envelope e, MessageContent m) {
                threads.add("blocking message " + Thread.currentThread().getName());
                return HookResult.next(List.of(new HeaderField("X-Blocking", "yes")));
            }
        };
        SmtpHook undecided = new SmtpHook() {
            @Override public int priority() { return 3; }
            @Override public boolean nonBlocking(SessionInfo s) { throw new IllegalStateException("cannot tell"); }
            @Override public HookResult onMessage(SessionInfo s, Envelope e, MessageContent m) {
                threads.add("undecided message " + Thread.currentThread().getName());
                return HookResult.next();
            }
        };
        try (SmtpTestClient c = connect(Map.of(), quick, blocking, undecided)) {
            expect(c.command("EHLO client.test"), 250, null);
            expect(c.command("MAIL FROM:<a@example.org>"), 250, "2.1.0");
            expect(c.command("RCPT TO:<olaf@herald.test>"), 450, "4.7.1");
            expect(c.command("RCPT TO:<postmaster@herald.test>"), 250, "2.1.5");
            expect(c.command("RCPT TO:<elsa@herald.test>"), 250, "2.1.5");
            c.command("DATA");
            expect(c.command("Subject: hooks\r\n\r\nx\r\n."), 250, "2.0.0");
            expectUsable(c);
        }
        // the RCPT hook ran after the routers (hook threads: the test router blocks), the message hook on the I/O thread
        assertThat(threads).hasSize(6);
        assertThat(threads.get(3)).startsWith("quick message ").matches(t -> !onHookExecutor(t.substring(14)), "not a hook thread");
        assertThat(threads.get(4)).startsWith("blocking message smtp-hook-");
        // a hook whose nonBlocking() throws is called on the hook executor, as before
        assertThat(threads.get(5)).startsWith("undecided message smtp-hook-");
        assertThat(queue.committed).singleElement().extracting(q -> q.headers().stream().map(HeaderField::name).toList())
                .isEqualTo(List.of("X-Quick", "X-Blocking"));
    }

    @ParameterizedTest(name = "commit completed on the caller''s thread: {0}")
    @ValueSource(booleans = {false, true})
    void aFailedCommitAnswers452(boolean commitOnCaller) throws Exception {
        try (SmtpTestClient c = connect(Map.of())) {
            queue.failCommit = true;
            queue.commitOnCaller = commitOnCaller;
            c.command("EHLO client.test");
            c.command("MAIL FROM:<a@example.org>");
            c.command("RCPT TO:<elsa@herald.test>");
            c.command("DATA");
            expect(c.command("Subject: x\r\n\r\nx\r\n."), 452, "4.3.1");
            expectUsable(c);
        }
    }

    @Test
    void aQueueWithoutRoomRefusesMailWith452BeforeTheData() throws Exception {
        try (SmtpTestClient c = connect(Map.of())) {
            c.command("EHLO client.test");
            queue.roomLeft = 10_000;
            // RFC 1870 §6.1: the SIZE the client announces counts
            expect(c.command("MAIL FROM:<a@example.org> SIZE=20000"), 452, "4.3.1");
            expect(c.command("MAIL FROM:<a@example.org> SIZE=5000"), 250, "2.1.0");
            c.command("RSET");
            queue.roomLeft = 0;
            expect(c.command("MAIL FROM:<a@example.org>"), 452, "4.3.1");
            expectUsable(c);
            queue.roomLeft = Long.MAX_VALUE;   // space was freed: accepted again, same session
            expect(c.command("MAIL FROM:<a@example.org>"), 250, "2.1.0");
        }
        assertThat(queue.opened).hasValue(0);
    }

    // ------------------------------------------------------------------ (8) a real client: Jakarta Mail (Angus)

    @ParameterizedTest(name = "Angus with chunksize={0}")
    @ValueSource(strings = {"0", "1024"})
    void angusMailSendsAMessage(String chunkSize) throws Exception {
        connect(Map.of()).close();
        Properties props = new Properties();
        props.put("mail.smtp.host", "127.0.0.1");
        props.put("mail.smtp.port", String.valueOf(server.port()));
        props.put("mail.smtp.localhost", "client.test");
        props.put("mail.smtp.chunksize", chunkSize);
        props.put("mail.smtp.connectiontimeout", "10000");
        props.put("mail.smtp.timeout", "10000");
        Session session = Session.getInstance(props);
        MimeMessage message = new MimeMessage(session);
        message.setFrom(new InternetAddress("anna@example.org"));
        message.setRecipients(Message.RecipientType.TO, "elsa@herald.test, olaf@herald.test");
        message.setSubject("Hello from Angus");
        // Angus 2.0.5 dot-stuffs BDAT chunks too (its SMTPOutputStream wraps the BDAT stream), which RFC 3030 does not
        // ask for; so the leading-dot line is only sent with DATA, where stuffing is right
        String text = chunkSize.equals("0") ? "A line.\n.A line starting with a dot.\nÜnïcödé.\n" : "A line.\nÜnïcödé.\n";
        message.setText(text, "UTF-8");
        Transport.send(message);

        assertThat(queue.committed).hasSize(1);
        TempDirQueue.Committed m = queue.committed.get(0);
        assertThat(m.envelope().reversePathText()).isEqualTo("<anna@example.org>");
        assertThat(m.envelope().recipients()).hasSize(2);
        MimeMessage received = new MimeMessage(session, new java.io.ByteArrayInputStream(m.spooled()));
        assertThat(received.getSubject()).isEqualTo("Hello from Angus");
        assertThat((String) received.getContent()).isEqualTo(text.replace("\n", "\r\n"));

        // Angus sees a refused recipient as a SendFailedException, and nothing is queued
        MimeMessage refused = new MimeMessage(session);
        refused.setFrom(new InternetAddress("anna@example.org"));
        refused.setRecipients(Message.RecipientType.TO, "nobody@elsewhere.example");
        refused.setText("x");
        assertThrows(jakarta.mail.SendFailedException.class, () -> Transport.send(refused));
        assertThat(queue.committed).hasSize(1);
    }
}
