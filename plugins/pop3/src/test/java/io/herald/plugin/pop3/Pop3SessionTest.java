package io.herald.plugin.pop3;

import io.herald.api.mailbox.Flags;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.assertj.core.api.Assertions.assertThat;

/** Every command of RFC 1939 (with RFC 2449 CAPA, RFC 2595 STLS, RFC 5034 AUTH) and every bad input, on one session. */
class Pop3SessionTest {

    static final String OLAF = "olaf@herald.test";
    static final String PW = "Olaf pw 5678";   // a space in it: PASS takes the rest of the line
    static final String M1 = "From: elsa@herald.test\r\nSubject: one\r\n\r\nHello Olaf\r\n.hidden dot line\r\n..two dots\r\nbye\r\n";
    static final String M2 = "Subject: two\n\nbare LF line\n.dot\nno final newline";
    static final String M2_WIRE = "Subject: two\r\n\r\nbare LF line\r\n..dot\r\nno final newline\r\n";
    static final long M2_SIZE = "Subject: two\r\n\r\nbare LF line\r\n.dot\r\nno final newline\r\n".length();

    Harness h;

    @BeforeEach
    void setUp() throws Exception {
        h = new Harness();
        h.store.create(OLAF);
        h.store.add(OLAF, M1.getBytes(StandardCharsets.UTF_8));
        h.store.add(OLAF, M2.getBytes(StandardCharsets.UTF_8));
        h.logins.passwords.put(OLAF, PW);
    }

    /** A client logged in with USER/PASS after STLS. */
    Harness.Client loggedIn() {
        Harness.Client c = h.client();
        c.take();
        assertThat(c.send("STLS")).isEqualTo("+OK begin TLS negotiation\r\n");
        assertThat(c.send("USER " + OLAF)).isEqualTo("+OK send PASS\r\n");
        assertThat(c.send("PASS " + PW)).startsWith("+OK maildrop has 2 messages");
        return c;
    }

    static String plain(String user, String pw) {
        return Base64.getEncoder().encodeToString(("\0" + user + "\0" + pw).getBytes(StandardCharsets.UTF_8));
    }

    // ------------------------------------------------------------------ AUTHORIZATION

    @Test
    void greetingAndCapabilitiesBeforeAndAfterTls() {
        Harness.Client c = h.client();
        assertThat(c.take()).isEqualTo("+OK Herald POP3 server ready\r\n");
        // no plaintext login offered before TLS on a non-loopback connection
        assertThat(c.send("CAPA")).isEqualTo("+OK capability list follows\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\n"
                + "PIPELINING\r\nSTLS\r\nIMPLEMENTATION Herald\r\n.\r\n");
        c.send("STLS");
        assertThat(c.tls).isTrue();
        assertThat(c.send("capa")).isEqualTo("+OK capability list follows\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\n"
                + "PIPELINING\r\nUSER\r\nSASL PLAIN\r\nIMPLEMENTATION Herald\r\n.\r\n");
        assertThat(c.send("CAPA x")).isEqualTo("-ERR syntax: CAPA takes no arguments\r\n");
    }

    @Test
    void capabilitiesInTransaction() {
        Harness.Client c = loggedIn();
        assertThat(c.send("CAPA")).isEqualTo("+OK capability list follows\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\n"
                + "PIPELINING\r\nIMPLEMENTATION Herald\r\n.\r\n");
    }

    @Test
    void plaintextBeforeTlsIsRefused() {
        Harness.Client c = h.client();
        c.take();
        assertThat(c.send("USER " + OLAF)).isEqualTo(Pop3Session.AUTH_NEEDS_TLS + "\r\n");
        assertThat(c.send("PASS " + PW)).isEqualTo("-ERR send USER first\r\n");
        assertThat(c.send("AUTH PLAIN " + plain(OLAF, PW))).isEqualTo(Pop3Session.AUTH_NEEDS_TLS + "\r\n");
        assertThat(h.logins.attempts).isEmpty();
        assertThat(c.closed).isFalse();
    }

    @Test
    void plaintextOnLoopbackWhenAllowed() {
        h.logins.loopbackPlaintext = true;
        Harness.Client c = h.client(false, Harness.address("127.0.0.1"));
        c.take();
        assertThat(c.send("CAPA")).contains("\r\nUSER\r\nSASL PLAIN\r\nSTLS\r\n");
        c.send("USER " + OLAF);
        assertThat(c.send("PASS " + PW)).startsWith("+OK maildrop has 2 messages");
    }

    @Test
    void stlsDiscardsPlaintextSentAfterIt() {
        Harness.Client c = h.client();
        c.take();
        // the injection of CVE-2011-0411: commands pipelined after STLS must not run inside TLS
        c.raw("STLS\r\nUSER " + OLAF + "\r\nPASS " + PW + "\r\n");
        assertThat(c.take()).isEqualTo("+OK begin TLS negotiation\r\n");
        assertThat(c.send("PASS " + PW)).isEqualTo("-ERR send USER first\r\n");
        assertThat(h.logins.attempts).isEmpty();
    }

    @Test
    void stlsErrors() {
        Harness.Client c = h.client();
        c.take();
        assertThat(c.send("STLS now")).isEqualTo("-ERR syntax: STLS takes no arguments\r\n");
        c.send("STLS");
        assertThat(c.send("STLS")).isEqualTo("-ERR TLS already active\r\n");
        Harness.Client implicit = h.client(true, Harness.address("192.0.2.8"));
        implicit.take();
        assertThat(implicit.send("CAPA")).doesNotContain("STLS");
        assertThat(implicit.send("STLS")).isEqualTo("-ERR TLS already active\r\n");
        Harness.Client in = loggedIn();
        assertThat(in.send("STLS")).isEqualTo(Pop3Session.WRONG_STATE + "\r\n");
    }

    @Test
    void userPassFailureThenSuccess() {
        Harness.Client c = h.client(true, Harness.address("192.0.2.8"));
        c.take();
        assertThat(c.send("USER")).isEqualTo("-ERR syntax: USER name\r\n");
        assertThat(c.send("PASS x")).isEqualTo("-ERR send USER first\r\n");
        c.send("USER " + OLAF);
        assertThat(c.send("PASS")).isEqualTo("-ERR syntax: PASS string\r\n");
        assertThat(c.send("PASS wrong")).isEqualTo("-ERR [AUTH] invalid user name or password\r\n");
        assertThat(c.send("PASS " + PW)).isEqualTo("-ERR send USER first\r\n");   // USER is forgotten after a failure
        c.send("USER nobody@herald.test");
        assertThat(c.send("PASS x")).isEqualTo("-ERR [AUTH] invalid user name or password\r\n");   // same as a wrong password
        c.send("USER " + OLAF);
        assertThat(c.send("PASS " + PW)).isEqualTo("+OK maildrop has 2 messages (" + (M1.length() + M2_SIZE) + " octets)\r\n");
    }

    @Test
    void lockedOutAndTemporaryFailures() {
        Harness.Client c = h.client(true, Harness.address("192.0.2.8"));
        c.take();
        c.send("USER locked@herald.test");
        assertThat(c.send("PASS x")).isEqualTo(Pop3Session.AUTH_LOCKED_OUT + "\r\n");
        assertThat(c.send("AUTH PLAIN " + plain("down@herald.test", "x"))).isEqualTo(Pop3Session.AUTH_TEMPORARY + "\r\n");
        assertThat(c.closed).isFalse();
    }

    @Test
    void authPlainWithInitialResponse() {
        Harness.Client c = h.client(true, Harness.address("192.0.2.8"));
        c.take();
        assertThat(c.send("AUTH PLAIN " + plain(OLAF, PW))).startsWith("+OK maildrop has 2 messages");
        assertThat(c.send("STAT")).isEqualTo("+OK 2 " + (M1.length() + M2_SIZE) + "\r\n");
    }

    @Test
    void authPlainWithContinuation() {
        Harness.Client c = h.client(true, Harness.address("192.0.2.8"));
        c.take();
        assertThat(c.send("auth plain")).isEqualTo("+ \r\n");
        assertThat(c.send(plain(OLAF, PW))).startsWith("+OK maildrop has 2 messages");
    }

    @Test
    void authErrors() {
        Harness.Client c = h.client(true, Harness.address("192.0.2.8"));
        c.take();
        assertThat(c.send("AUTH")).isEqualTo("+OK\r\nPLAIN\r\n.\r\n");
        assertThat(c.send("AUTH PLAIN a b")).isEqualTo("-ERR syntax: AUTH mechanism [initial-response]\r\n");
        assertThat(c.send("AUTH PLAIN !!notbase64")).isEqualTo(Pop3Session.AUTH_MALFORMED + "\r\n");
        assertThat(c.send("AUTH CRAM-MD5")).isEqualTo(Pop3Session.AUTH_UNSUPPORTED + "\r\n");
        assertThat(c.send("AUTH PLAIN")).isEqualTo("+ \r\n");
        assertThat(c.send("*")).isEqualTo(Pop3Session.AUTH_CANCELLED + "\r\n");
        assertThat(c.send("AUTH PLAIN")).isEqualTo("+ \r\n");
        assertThat(c.send("%%%")).isEqualTo(Pop3Session.AUTH_MALFORMED + "\r\n");
        assertThat(c.send("AUTH PLAIN =")).isEqualTo(Pop3Session.AUTH_MALFORMED + "\r\n");   // empty: no NULs
        assertThat(c.send("AUTH PLAIN " + plain(OLAF, "wrong"))).isEqualTo("-ERR [AUTH] invalid user name or password\r\n");
        // after all that, the session is in the command mode and usable
        assertThat(c.send("AUTH PLAIN " + plain(OLAF, PW))).startsWith("+OK maildrop has 2 messages");
    }

    @Test
    void maildropInUse() {
        Harness.Client first = loggedIn();
        Harness.Client second = h.client(true, Harness.address("192.0.2.8"));
        second.take();
        second.send("USER " + OLAF);
        assertThat(second.send("PASS " + PW)).isEqualTo("-ERR [IN-USE] maildrop already locked by another session\r\n");
        assertThat(second.send("STAT")).isEqualTo(Pop3Session.WRONG_STATE + "\r\n");
        first.send("QUIT");
        second.send("USER " + OLAF);
        assertThat(second.send("PASS " + PW)).startsWith("+OK maildrop has 2 messages");
    }

    @Test
    void lockReleasedWhenTheClientVanishes() {
        Harness.Client first = loggedIn();
        first.session.closedByPeer();
        assertThat(h.locks.isLocked(OLAF)).isFalse();
    }

    @Test
    void userWithoutMailbox() {
        h.logins.passwords.put("elsa@herald.test", "pw");
        Harness.Client c = h.client(true, Harness.address("192.0.2.8"));
        c.take();
        assertThat(c.send("AUTH PLAIN " + plain("elsa@herald.test", "pw"))).isEqualTo(Pop3Session.NO_MAILBOX + "\r\n");
        assertThat(h.locks.isLocked("elsa@herald.test")).isFalse();
    }

    @Test
    void apopIsNotSupported() {
        Harness.Client c = h.client();
        c.take();
        assertThat(c.send("APOP olaf 0123456789abcdef")).isEqualTo("-ERR APOP not supported\r\n");
    }

    @Test
    void quitInAuthorization() {
        Harness.Client c = h.client();
        c.take();
        assertThat(c.send("QUIT")).isEqualTo("+OK Herald POP3 server signing off\r\n");
        assertThat(c.closed).isTrue();
    }

    // ------------------------------------------------------------------ TRANSACTION

    @Test
    void statAndList() {
        Harness.Client c = loggedIn();
        long total = M1.length() + M2_SIZE;
        assertThat(c.send("STAT")).isEqualTo("+OK 2 " + total + "\r\n");
        assertThat(c.send("LIST")).isEqualTo("+OK 2 messages (" + total + " octets)\r\n1 " + M1.length() + "\r\n2 " + M2_SIZE + "\r\n.\r\n");
        assertThat(c.send("LIST 2")).isEqualTo("+OK 2 " + M2_SIZE + "\r\n");
        assertThat(c.send("list 3")).isEqualTo("-ERR no such message\r\n");
        assertThat(c.send("LIST 0")).isEqualTo("-ERR no such message\r\n");
        assertThat(c.send("LIST 99999999999999999999")).isEqualTo("-ERR syntax: LIST msg (decimal numbers)\r\n");
        assertThat(c.send("LIST -1")).isEqualTo("-ERR syntax: LIST msg (decimal numbers)\r\n");
        assertThat(c.send("LIST one")).isEqualTo("-ERR syntax: LIST msg (decimal numbers)\r\n");
        assertThat(c.send("LIST 1 2")).isEqualTo("-ERR syntax: LIST msg\r\n");
        assertThat(c.send("STAT 1")).isEqualTo("-ERR syntax: STAT takes no arguments\r\n");
    }

    @Test
    void retrNormalizesLineEndingsAndStuffsDots() {
        Harness.Client c = loggedIn();
        assertThat(c.send("RETR 1")).isEqualTo("+OK " + M1.length() + " octets\r\n"
                + M1.replace("\r\n.hidden", "\r\n..hidden").replace("\r\n..two", "\r\n...two") + ".\r\n");
        assertThat(c.send("RETR 2")).isEqualTo("+OK " + M2_SIZE + " octets\r\n" + M2_WIRE + ".\r\n");
        assertThat(c.send("RETR")).isEqualTo("-ERR syntax: RETR msg\r\n");
        assertThat(c.send("RETR 3")).isEqualTo("-ERR no such message\r\n");
    }

    @Test
    void top() {
        Harness.Client c = loggedIn();
        assertThat(c.send("TOP 1 0")).isEqualTo("+OK top of message follows\r\nFrom: elsa@herald.test\r\nSubject: one\r\n\r\n.\r\n");
        assertThat(c.send("TOP 1 2")).isEqualTo("+OK top of message follows\r\nFrom: elsa@herald.test\r\nSubject: one\r\n\r\n"
                + "Hello Olaf\r\n..hidden dot line\r\n.\r\n");
        assertThat(c.send("TOP 2 100")).isEqualTo("+OK top of message follows\r\n" + M2_WIRE + ".\r\n");
        assertThat(c.send("TOP 1")).isEqualTo("-ERR syntax: TOP msg n\r\n");
        assertThat(c.send("TOP 1 -1")).isEqualTo("-ERR syntax: TOP msg n (decimal numbers)\r\n");
        assertThat(c.send("TOP 7 1")).isEqualTo("-ERR no such message\r\n");
    }

    @Test
    void uidl() {
        Harness.Client c = loggedIn();
        List<Long> uids = uids();
        String v = String.valueOf(MemoryStore.UIDVALIDITY);
        assertThat(c.send("UIDL")).isEqualTo("+OK unique-id listing follows\r\n1 " + v + "." + uids.get(0) + "\r\n2 "
                + v + "." + uids.get(1) + "\r\n.\r\n");
        assertThat(c.send("UIDL 2")).isEqualTo("+OK 2 " + v + "." + uids.get(1) + "\r\n");
        assertThat(c.send("UIDL 5")).isEqualTo("-ERR no such message\r\n");
        assertThat(c.send("UIDL x")).isEqualTo("-ERR syntax: UIDL msg (decimal numbers)\r\n");
    }

    @Test
    void deleRsetAndQuitRemovesOnlyTheMarkedMessages() throws Exception {
        long otherDeleted = h.store.add(OLAF, "Subject: three\r\n\r\nx\r\n".getBytes(StandardCharsets.UTF_8)).uid();
        h.store.flag(OLAF, otherDeleted, Flags.DELETED);   // flagged by an IMAP client: not this session's business
        Harness.Client c = h.client(true, Harness.address("192.0.2.8"));
        c.take();
        assertThat(c.send("AUTH PLAIN " + plain(OLAF, PW))).startsWith("+OK maildrop has 3 messages");
        assertThat(c.send("DELE 1")).isEqualTo("+OK message 1 deleted\r\n");
        assertThat(c.send("DELE 1")).isEqualTo("-ERR message 1 already deleted\r\n");
        assertThat(c.send("RETR 1")).isEqualTo("-ERR message 1 already deleted\r\n");
        assertThat(c.send("LIST 1")).isEqualTo("-ERR message 1 already deleted\r\n");
        assertThat(c.send("DELE")).isEqualTo("-ERR syntax: DELE msg\r\n");
        assertThat(c.send("STAT")).startsWith("+OK 2 ");
        assertThat(c.send("LIST")).startsWith("+OK 2 messages").doesNotContain("\r\n1 ");
        assertThat(c.send("RSET")).startsWith("+OK maildrop has 3 messages");
        assertThat(c.send("RSET x")).isEqualTo("-ERR syntax: RSET takes no arguments\r\n");
        assertThat(c.send("STAT")).startsWith("+OK 3 ");
        c.send("DELE 2");
        List<Long> before = uids();
        assertThat(c.send("QUIT")).isEqualTo("+OK Herald POP3 server signing off (1 messages deleted)\r\n");
        assertThat(c.closed).isTrue();
        assertThat(uids()).containsExactly(before.get(0), before.get(2));
        assertThat(h.locks.isLocked(OLAF)).isFalse();
    }

    @Test
    void noUpdateWithoutQuit() throws Exception {
        Harness.Client c = loggedIn();
        c.send("DELE 1");
        c.send("DELE 2");
        c.session.closedByPeer();
        assertThat(uids()).hasSize(2);
    }

    @Test
    void updateFailure() {
        Harness.Client c = loggedIn();
        c.send("DELE 1");
        h.store.failExpunge = true;
        assertThat(c.send("QUIT")).isEqualTo(Pop3Session.UPDATE_FAILED + "\r\n");
        assertThat(c.closed).isTrue();
        assertThat(h.locks.isLocked(OLAF)).isFalse();
    }

    @Test
    void noopAndQuitArguments() {
        Harness.Client c = loggedIn();
        assertThat(c.send("NOOP")).isEqualTo("+OK\r\n");
        assertThat(c.send("NOOP now")).isEqualTo("-ERR syntax: NOOP takes no arguments\r\n");
        assertThat(c.send("QUIT now")).isEqualTo("-ERR syntax: QUIT takes no arguments\r\n");
        assertThat(c.closed).isFalse();
    }

    @Test
    void theMaildropIsASnapshot() throws Exception {
        Harness.Client c = loggedIn();
        h.store.add(OLAF, "Subject: later\r\n\r\nlate\r\n".getBytes(StandardCharsets.UTF_8));
        assertThat(c.send("STAT")).startsWith("+OK 2 ");
        assertThat(c.send("RETR 3")).isEqualTo("-ERR no such message\r\n");
        c.send("QUIT");
        Harness.Client next = loggedIn.apply(this, 3);
        assertThat(next.send("STAT")).startsWith("+OK 3 ");
    }

    private static final java.util.function.BiFunction<Pop3SessionTest, Integer, Harness.Client> loggedIn = (t, n) -> {
        Harness.Client c = t.h.client(true, Harness.address("192.0.2.9"));
        c.take();
        assertThat(c.send("AUTH PLAIN " + plain(OLAF, PW))).startsWith("+OK maildrop has " + n + " messages");
        return c;
    };

    @Test
    void aMessageRemovedByAnotherClient() throws Exception {
        Harness.Client c = loggedIn();
        h.store.remove(OLAF, uids().get(0));
        assertThat(c.send("RETR 1")).isEqualTo(Pop3Session.MESSAGE_GONE + "\r\n");
        assertThat(c.send("TOP 1 0")).isEqualTo(Pop3Session.MESSAGE_GONE + "\r\n");
        assertThat(c.send("RETR 2")).startsWith("+OK");
    }

    @Test
    void sizesAreCachedAcrossSessions() {
        loggedIn().send("QUIT");
        int reads = h.store.contentReads.get();
        loggedIn().send("QUIT");
        assertThat(h.store.contentReads.get()).isEqualTo(reads);
    }

    // ------------------------------------------------------------------ bad input

    @Test
    void unknownCommandsWrongStateAndEmptyLines() {
        Harness.Client c = h.client();
        c.take();
        assertThat(c.send("HELO there")).isEqualTo("-ERR unknown command\r\n");
        assertThat(c.send("RETRIEVE 1")).isEqualTo("-ERR unknown command\r\n");
        assertThat(c.send("STAT")).isEqualTo(Pop3Session.WRONG_STATE + "\r\n");
        assertThat(c.send("RETR 1")).isEqualTo(Pop3Session.WRONG_STATE + "\r\n");
        assertThat(c.send("")).isEqualTo("-ERR empty command line\r\n");
        assertThat(c.send("NOOP")).isEqualTo(Pop3Session.WRONG_STATE + "\r\n");   // RFC 1939: NOOP only in TRANSACTION
        Harness.Client in = loggedIn();
        assertThat(in.send("USER x")).isEqualTo(Pop3Session.WRONG_STATE + "\r\n");
        assertThat(in.send("PASS x")).isEqualTo(Pop3Session.WRONG_STATE + "\r\n");
        assertThat(in.send("AUTH PLAIN")).isEqualTo(Pop3Session.WRONG_STATE + "\r\n");
        assertThat(in.send("XYZZY")).isEqualTo("-ERR unknown command\r\n");
        assertThat(in.send("STAT")).startsWith("+OK 2 ");
    }

    @Test
    void overLongLinesAreRefusedAndSkipped() {
        Harness.Client c = loggedIn();
        String longLine = "LIST " + "1".repeat(300);
        assertThat(c.send(longLine)).isEqualTo("-ERR line too long (more than 255 octets including CRLF)\r\n");
        // one that arrives in pieces, longer than the buffer limit before its end is seen
        c.raw("NOOP " + "x".repeat(200));
        c.raw("y".repeat(200));
        assertThat(c.take()).isEmpty();
        assertThat(c.send("z")).isEqualTo("-ERR line too long (more than 255 octets including CRLF)\r\n");
        assertThat(c.send("STAT")).startsWith("+OK 2 ");
        // exactly 255 octets with CRLF is allowed
        assertThat(c.send("NOOP" + " ".repeat(249))).isEqualTo("-ERR syntax: NOOP takes no arguments\r\n".replace("-ERR syntax: NOOP takes no arguments", "+OK"));
    }

    @Test
    void longSaslResponsesAreAllowedUpToTheirOwnLimit() {
        Harness.Client c = h.client(true, Harness.address("192.0.2.8"));
        c.take();
        c.send("AUTH PLAIN");
        String pw = "p".repeat(1000);
        h.logins.passwords.put(OLAF, pw);
        assertThat(c.send(plain(OLAF, pw))).startsWith("+OK maildrop has 2 messages");
    }

    @Test
    void bareLfEndsACommandLine() {
        Harness.Client c = loggedIn();
        c.raw("STAT\nNOOP\n");
        assertThat(c.take()).matches("\\+OK 2 \\d+\r\n\\+OK\r\n");
    }

    @Test
    void tooManyErrorsCloseTheConnection() {
        h.config.put("maxErrors", "3");
        Harness.Client c = h.client();
        c.take();
        c.send("BAD1");
        c.send("BAD2");
        assertThat(c.send("BAD3")).isEqualTo("-ERR unknown command\r\n" + Pop3Session.TOO_MANY_ERRORS + "\r\n");
        assertThat(c.closed).isTrue();
    }

    @Test
    void autologoutWithoutUpdate() throws Exception {
        h.config.put("idleTimeout", "1s");
        Harness.Client c = loggedIn();
        c.send("DELE 1");
        c.session.idle();                      // too early: nothing happens
        assertThat(c.closed).isFalse();
        Thread.sleep(1100);
        c.session.idle();
        assertThat(c.take()).isEqualTo(Pop3Session.AUTOLOGOUT + "\r\n");
        assertThat(c.closed).isTrue();
        assertThat(uids()).hasSize(2);
        assertThat(h.locks.isLocked(OLAF)).isFalse();
    }

    @Test
    void shutdownTellsTheClient() {
        Harness.Client c = loggedIn();
        c.session.shutdown();
        assertThat(c.take()).isEqualTo(Pop3Session.SHUTTING_DOWN + "\r\n");
        assertThat(c.closed).isTrue();
    }

    @Test
    void badConfigurationIsRefusedWithTheKey() {
        h.config.put("idleTimeout", "0s");
        org.assertj.core.api.Assertions.assertThatThrownBy(h::settings)
                .hasMessageContaining("pop3.cfg").hasMessageContaining("idleTimeout");
    }

    // ------------------------------------------------------------------ with worker threads

    @Test
    void pipelinedCommandsAnsweredInOrderWithRealThreads() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            h.workers = pool;
            StringBuilder big = new StringBuilder("Subject: big\r\n\r\n");
            while (big.length() < 300_000) big.append(".line starting with a dot, and some more text to fill it up\r\n");
            h.store.add(OLAF, big.toString().getBytes(StandardCharsets.UTF_8));
            Harness.Client c = h.client(true, Harness.address("192.0.2.8"));
            c.awaitEnd("ready\r\n", 5000);
            c.raw("AUTH PLAIN " + plain(OLAF, PW) + "\r\nSTAT\r\nRETR 3\r\nDELE 3\r\nQUIT\r\n");
            String out = c.awaitEnd("deleted)\r\n", 20000);
            String expectedBody = big.toString().replace("\r\n.", "\r\n..");
            assertThat(out).startsWith("+OK maildrop has 3 messages");
            assertThat(out).contains("\r\n+OK 3 ");
            int retr = out.indexOf("+OK " + big.length() + " octets\r\n");
            assertThat(retr).isPositive();
            String afterOk = out.substring(retr + ("+OK " + big.length() + " octets\r\n").length());
            assertThat(afterOk).startsWith(expectedBody + ".\r\n+OK message 3 deleted\r\n+OK Herald POP3 server signing off (1 messages deleted)\r\n");
            assertThat(uids()).hasSize(2);
        } finally {
            pool.shutdownNow();
        }
    }

    private List<Long> uids() {
        try {
            return h.store.uids(OLAF);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
