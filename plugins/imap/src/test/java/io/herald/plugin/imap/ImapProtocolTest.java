package io.herald.plugin.imap;

import io.herald.api.mail.MessageContent;
import io.herald.api.mailbox.Delivery;
import io.herald.api.mailbox.Folders;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import static io.herald.plugin.imap.RawImap.last;
import static io.herald.plugin.imap.TestServer.ELSA;
import static io.herald.plugin.imap.TestServer.ELSA_PW;
import static io.herald.plugin.imap.TestServer.OLAF;
import static io.herald.plugin.imap.TestServer.OLAF_PW;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The IMAP protocol byte for byte against a real server: framing, literals and their limits, malformed input
 * (every bad command answered with its tag, the session usable or closed cleanly), the mailbox commands, concurrent
 * sessions seeing each other's changes, IDLE, STARTTLS and the login rules.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ImapProtocolTest {

    @TempDir static Path home;
    TestServer server;

    @BeforeAll
    void start() throws Exception {
        server = new TestServer(home, "auth.plaintext.loopback", "true", "imap.maxLiteralSize", "4096",
                "imap.maxCommandLength", "2048", "imap.timeout", "3s", "imap.idle.timeout", "15s", "imap.maxBadCommands", "50");
    }

    @AfterAll
    void stop() {
        if (server != null) server.close();
    }

    private RawImap login(String user, String pw) throws Exception {
        RawImap c = new RawImap(server.imapPort());
        assertThat(c.line()).startsWith("* OK [CAPABILITY IMAP4rev1");
        assertThat(last(c.cmd("l", "LOGIN " + user + " " + pw))).startsWith("l OK [CAPABILITY IMAP4rev1");
        return c;
    }

    private static String literal(String s) {
        return "{" + s.getBytes(StandardCharsets.UTF_8).length + "}\r\n" + s;
    }

    private void deliver(String mailbox, String subject) throws Exception {
        String m = "From: elsa@herald.test\r\nTo: " + mailbox + "\r\nSubject: " + subject + "\r\n\r\nHello\r\n";
        server.store.deliver(new Delivery(mailbox, Folders.INBOX, MessageContent.of(m.getBytes(StandardCharsets.US_ASCII)),
                UUID.randomUUID().toString(), Instant.now(), Set.of()));
    }

    // ------------------------------------------------------------------ malformed input

    @Test
    void malformedCommandsAreAnsweredWithTheirTagAndTheSessionStaysUsable() throws Exception {
        try (RawImap c = login(ELSA, ELSA_PW)) {
            assertThat(last(c.cmd("a1", "FROBNICATE"))).startsWith("a1 BAD Unknown command FROBNICATE");
            c.send("\r\n");
            assertThat(c.line()).startsWith("* BAD Missing or invalid tag");
            c.send("+plus NOOP\r\n");
            assertThat(c.line()).startsWith("* BAD Missing or invalid tag");
            assertThat(last(c.cmd("a2", ""))).startsWith("a2 BAD Missing command");
            assertThat(last(c.cmd("a3", "FETCH 1 FLAGS"))).startsWith("a3 BAD Select a mailbox first");
            assertThat(last(c.cmd("a4", "SELECT INBOX"))).startsWith("a4 OK [READ-WRITE]");
            assertThat(last(c.cmd("a5", "FETCH 1:x FLAGS"))).startsWith("a5 BAD Invalid sequence set");
            assertThat(last(c.cmd("a6", "FETCH 99 FLAGS"))).startsWith("a6 BAD Invalid message sequence number");
            assertThat(last(c.cmd("a7", "UID FETCH 0:3 FLAGS"))).startsWith("a7 BAD Invalid UID set");
            assertThat(last(c.cmd("a8", "FETCH 1 (FLAGS"))).startsWith("a8 BAD");
            assertThat(last(c.cmd("a9", "FETCH 1 NONSENSE"))).startsWith("a9 BAD");
            assertThat(last(c.cmd("b1", "STORE 1 +FLAGS (\\Bogus)"))).startsWith("b1 BAD");
            assertThat(last(c.cmd("b2", "SEARCH FROM"))).startsWith("b2 BAD Missing argument");
            assertThat(last(c.cmd("b3", "SEARCH CHARSET KOI8-R FROM x"))).startsWith("b3 NO [BADCHARSET");
            assertThat(last(c.cmd("b4", "SEARCH SINCE 31-Foo-2020"))).startsWith("b4 BAD Invalid date");
            assertThat(last(c.cmd("b5", "SELECT \"unterminated"))).startsWith("b5 BAD Unterminated quoted string");
            assertThat(last(c.cmd("b6", "SELECT &Jjo"))).startsWith("b6 BAD Mailbox name is not valid modified UTF-7");
            assertThat(last(c.cmd("b7", "SELECT NoSuchFolder"))).startsWith("b7 NO [NONEXISTENT]");
            assertThat(last(c.cmd("b8", "LOGIN elsa x"))).startsWith("b8 BAD Already logged in");
            assertThat(last(c.cmd("b9", "NOOP extra"))).startsWith("b9 BAD Unexpected characters");
            // after all that the session works
            assertThat(last(c.cmd("c1", "NOOP"))).isEqualTo("c1 OK NOOP completed");
            assertThat(last(c.cmd("c2", "LOGOUT"))).startsWith("c2 OK");
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void literalOverTheLimitIsRefusedBeforeItIsSent() throws Exception {
        try (RawImap c = login(ELSA, ELSA_PW)) {
            // synchronizing: refused instead of the continuation; the client never sends the octets
            c.send("t1 APPEND INBOX {5000}\r\n");
            assertThat(c.line()).startsWith("t1 NO [TOOBIG]");
            assertThat(last(c.cmd("t2", "NOOP"))).startsWith("t2 OK");
            // within the limit it works, with a continuation first
            byte[] msg = "Subject: small\r\n\r\nsmall\r\n".getBytes(StandardCharsets.US_ASCII);
            c.send("t3 APPEND INBOX {" + msg.length + "}\r\n");
            assertThat(c.line()).startsWith("+ ");
            c.send(msg);
            c.send("\r\n");
            assertThat(last(c.until("t3"))).matches("t3 OK \\[APPENDUID \\d+ \\d+] APPEND completed");
            // LITERAL+: the octets follow at once
            c.send("t4 APPEND INBOX {" + msg.length + "+}\r\n");
            c.send(msg);
            c.send("\r\n");
            assertThat(last(c.until("t4"))).startsWith("t4 OK [APPENDUID");
        }
        try (RawImap c = login(ELSA, ELSA_PW)) {
            // LITERAL+ over the limit: the octets are on their way and cannot be told from commands: BAD, then BYE
            c.send("t5 APPEND INBOX {5000+}\r\n");
            assertThat(c.line()).startsWith("t5 BAD [TOOBIG]");
            assertThat(c.line()).startsWith("* BYE");
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void unterminatedLiteralEndsWithAutologoutAndNothingIsStored() throws Exception {
        int before = server.store.list(OLAF, Folders.INBOX).size();
        try (RawImap c = login(OLAF, OLAF_PW)) {
            c.send("u1 APPEND INBOX {100}\r\n");
            assertThat(c.line()).startsWith("+ ");
            c.send("Subject: never finished\r\n\r\nonly part");
            // the session's timeout (3s in this test) ends it cleanly
            assertThat(c.line()).startsWith("* BYE");
            assertThat(c.closedByServer()).isTrue();
        }
        assertThat(server.store.list(OLAF, Folders.INBOX)).hasSize(before);
    }

    @Test
    void overLongCommandIsRefusedAndSkipped() throws Exception {
        try (RawImap c = login(ELSA, ELSA_PW)) {
            assertThat(last(c.cmd("x1", "SELECT INBOX"))).startsWith("x1 OK");
            String set = "1" + ",1".repeat(1500);
            assertThat(last(c.cmd("x2", "FETCH " + set + " FLAGS"))).startsWith("x2 BAD Command line too long");
            assertThat(last(c.cmd("x3", "NOOP"))).startsWith("x3 OK");
        }
    }

    // ------------------------------------------------------------------ mailbox commands

    @Test
    void foldersWithSpecialUseModifiedUtf7AndStatus() throws Exception {
        try (RawImap c = login(ELSA, ELSA_PW)) {
            List<String> list = c.cmd("f1", "LIST \"\" \"*\"");
            assertThat(list).contains("* LIST (\\HasNoChildren \\Sent) \"/\" Sent", "* LIST (\\HasNoChildren \\Junk) \"/\" Junk")
                    .anyMatch(l -> l.startsWith("* LIST (") && l.endsWith("\"/\" INBOX"));
            assertThat(c.cmd("f2", "LIST (SPECIAL-USE) \"\" \"*\"")).hasSize(5).noneMatch(l -> l.endsWith(" INBOX"));
            assertThat(c.cmd("f3", "LIST \"\" \"\"")).first().isEqualTo("* LIST (\\Noselect) \"/\" \"\"");
            // "Entwürfe/日本" in modified UTF-7 (RFC 3501 §5.1.3)
            String name = ModifiedUtf7.encode("Entwürfe/日本");
            assertThat(name).isEqualTo("Entw&APw-rfe/&ZeVnLA-");
            assertThat(last(c.cmd("f4", "CREATE " + name))).startsWith("f4 OK");
            assertThat(c.cmd("f5", "LIST \"\" Entw*")).contains("* LIST (\\HasNoChildren) \"/\" Entw&APw-rfe/&ZeVnLA-")
                    .anyMatch(l -> l.startsWith("* LIST (\\HasChildren) \"/\" Entw&APw-rfe"));
            assertThat(server.store.folders(ELSA)).contains("Entwürfe", "Entwürfe/日本");
            assertThat(c.cmd("f6", "LIST \"\" Entw%")).hasSize(2);
            assertThat(last(c.cmd("f7", "CREATE Entw&APw-rfe"))).startsWith("f7 NO [ALREADYEXISTS]");
            assertThat(last(c.cmd("f8", "RENAME Entw&APw-rfe/&ZeVnLA- Archiv"))).startsWith("f8 OK");
            assertThat(last(c.cmd("f9", "SUBSCRIBE Archiv"))).startsWith("f9 OK");
            assertThat(c.cmd("g1", "LSUB \"\" *")).anyMatch(l -> l.equals("* LSUB () \"/\" Archiv"));
            assertThat(last(c.cmd("g2", "UNSUBSCRIBE Archiv"))).startsWith("g2 OK");
            assertThat(c.cmd("g3", "LSUB \"\" Archiv")).hasSize(1);
            assertThat(c.cmd("g4", "STATUS Archiv (MESSAGES UIDNEXT UIDVALIDITY UNSEEN RECENT)").get(0))
                    .matches("\\* STATUS Archiv \\(MESSAGES 0 UIDNEXT 1 UIDVALIDITY \\d+ UNSEEN 0 RECENT 0\\)");
            assertThat(last(c.cmd("g5", "DELETE Archiv"))).startsWith("g5 OK");
            assertThat(last(c.cmd("g6", "DELETE INBOX"))).startsWith("g6 NO [CANNOT]");
            assertThat(last(c.cmd("g7", "NAMESPACE"))).startsWith("g7 OK");
            assertThat(c.cmd("g8", "ID (\"name\" \"RawImap\" \"version\" NIL)")).first().asString().startsWith("* ID (\"name\" \"Herald\"");
            assertThat(c.cmd("g9", "ENABLE CONDSTORE")).first().isEqualTo("* ENABLED");
        }
    }

    @Test
    void appendFetchStoreSearchCopyMoveExpunge() throws Exception {
        server.store.createFolder(ELSA, "Work");
        try (RawImap c = login(ELSA, ELSA_PW)) {
            byte[] msg = ("From: \"Olaf Snow\" <olaf@herald.test>\r\nTo: elsa@herald.test, Anna <anna@arendelle.test>\r\n"
                    + "Subject: =?UTF-8?Q?Schneem=C3=A4nner?=\r\nDate: Mon, 1 Dec 2025 10:00:00 +0100\r\nMessage-ID: <m1@herald.test>\r\n"
                    + "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\npreamble\r\n--b1\r\n"
                    + "Content-Type: text/plain; charset=utf-8\r\n\r\nI like warm hugs and carrots\r\n--b1\r\n"
                    + "Content-Type: application/octet-stream; name=\"a.bin\"\r\nContent-Disposition: attachment; filename=\"a.bin\"\r\n"
                    + "Content-Transfer-Encoding: base64\r\n\r\nAAECAwQ=\r\n--b1--\r\nepilogue\r\n").getBytes(StandardCharsets.UTF_8);
            c.send("p1 APPEND Work (\\Flagged $Label1) \" 1-Dec-2025 10:00:00 +0100\" {" + msg.length + "+}\r\n");
            c.send(msg);
            c.send("\r\n");
            String appended = last(c.until("p1"));
            assertThat(appended).startsWith("p1 OK [APPENDUID ");
            long uid = Long.parseLong(appended.split(" ")[4].replace("]", ""));
            assertThat(last(c.cmd("p2", "APPEND NoSuch {3+}\r\nabc"))).startsWith("p2 NO [TRYCREATE]");

            List<String> sel = c.cmd("p3", "SELECT Work");
            assertThat(sel).contains("* 1 EXISTS", "* 0 RECENT", "* OK [UNSEEN 1] First unseen")
                    .anyMatch(l -> l.startsWith("* FLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft $Junk $NotJunk $Label1)"));

            List<String> f = c.cmd("p4", "FETCH 1 (UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE)");
            assertThat(f.get(0)).isEqualTo("* 1 FETCH (UID " + uid + " FLAGS (\\Flagged $Label1) INTERNALDATE \"01-Dec-2025 09:00:00 +0000\" "
                    + "RFC822.SIZE " + msg.length + " ENVELOPE (\"Mon, 1 Dec 2025 10:00:00 +0100\" \"=?UTF-8?Q?Schneem=C3=A4nner?=\" "
                    + "((\"Olaf Snow\" NIL \"olaf\" \"herald.test\")) ((\"Olaf Snow\" NIL \"olaf\" \"herald.test\")) "
                    + "((\"Olaf Snow\" NIL \"olaf\" \"herald.test\")) ((NIL NIL \"elsa\" \"herald.test\")(\"Anna\" NIL \"anna\" \"arendelle.test\")) "
                    + "NIL NIL NIL \"<m1@herald.test>\"))");
            assertThat(c.cmd("p5", "FETCH 1 BODYSTRUCTURE").get(0)).isEqualTo("* 1 FETCH (BODYSTRUCTURE ((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"utf-8\") "
                    + "NIL NIL \"7BIT\" 28 1 NIL NIL NIL NIL)(\"APPLICATION\" \"OCTET-STREAM\" (\"NAME\" \"a.bin\") NIL NIL \"BASE64\" 8 NIL "
                    + "(\"ATTACHMENT\" (\"FILENAME\" \"a.bin\")) NIL NIL) \"MIXED\" (\"BOUNDARY\" \"b1\") NIL NIL NIL))");
            assertThat(c.cmd("p6", "FETCH 1 BODY").get(0)).isEqualTo("* 1 FETCH (BODY ((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"utf-8\") "
                    + "NIL NIL \"7BIT\" 28 1)(\"APPLICATION\" \"OCTET-STREAM\" (\"NAME\" \"a.bin\") NIL NIL \"BASE64\" 8) \"MIXED\"))");
            // sections: exact octets; PEEK leaves \Seen alone, BODY[] sets it
            String mime = "Content-Type: application/octet-stream; name=\"a.bin\"\r\nContent-Disposition: attachment; filename=\"a.bin\"\r\n"
                    + "Content-Transfer-Encoding: base64\r\n\r\n";
            String fields = "Subject: =?UTF-8?Q?Schneem=C3=A4nner?=\r\nMessage-ID: <m1@herald.test>\r\n\r\n";
            assertThat(c.cmd("p7", "FETCH 1 (BODY.PEEK[1] BODY.PEEK[2.MIME] BODY.PEEK[HEADER.FIELDS (Subject Message-ID)] BODY.PEEK[1]<2.4> BODY.PEEK[2])").get(0))
                    .isEqualTo("* 1 FETCH (BODY[1] {28}\r\nI like warm hugs and carrots BODY[2.MIME] " + literal(mime)
                            + " BODY[HEADER.FIELDS (SUBJECT MESSAGE-ID)] " + literal(fields) + " BODY[1]<2> {4}\r\nlike BODY[2] {8}\r\nAAECAwQ=)");
            assertThat(c.cmd("p8", "FETCH 1 FLAGS").get(0)).doesNotContain("\\Seen");
            List<String> whole = c.cmd("p9", "FETCH 1 BODY[]");
            assertThat(whole.get(0)).isEqualTo("* 1 FETCH (BODY[] {" + msg.length + "}\r\n" + new String(msg, StandardCharsets.ISO_8859_1)
                    + " FLAGS (\\Seen \\Flagged $Label1))");
            assertThat(c.cmd("q1", "FETCH 1 (RFC822.HEADER)").get(0)).startsWith("* 1 FETCH (RFC822.HEADER {").contains("Subject: =?UTF-8?Q?");
            assertThat(c.cmd("q2", "FETCH 1 BODY.PEEK[3]").get(0)).isEqualTo("* 1 FETCH (BODY[3] {0}\r\n)");

            // STORE
            assertThat(c.cmd("q3", "STORE 1 -FLAGS (\\Seen)").get(0)).isEqualTo("* 1 FETCH (FLAGS (\\Flagged $Label1))");
            assertThat(c.cmd("q4", "UID STORE " + uid + " +FLAGS.SILENT (\\Answered)")).hasSize(1);
            assertThat(c.cmd("q5", "STORE 1 FLAGS \\Deleted").get(0)).isEqualTo("* 1 FETCH (FLAGS (\\Deleted))");
            assertThat(last(c.cmd("q6", "STORE 1 FLAGS ()"))).startsWith("q6 OK");

            // SEARCH on the index
            assertThat(c.cmd("r1", "SEARCH FROM olaf").get(0)).isEqualTo("* SEARCH 1");
            assertThat(c.cmd("r2", "SEARCH BODY carrots").get(0)).isEqualTo("* SEARCH 1");
            assertThat(c.cmd("r3", "UID SEARCH TEXT carrots").get(0)).isEqualTo("* SEARCH " + uid);
            assertThat(c.cmd("r4", "SEARCH OR FROM nobody SUBJECT Schneem NOT DELETED").get(0)).isEqualTo("* SEARCH 1");
            assertThat(c.cmd("r5", "SEARCH BODY snowplough").get(0)).isEqualTo("* SEARCH");
            assertThat(c.cmd("r6", "SEARCH SENTSINCE 1-Nov-2025 SENTBEFORE 2-Dec-2025 1:*").get(0)).isEqualTo("* SEARCH 1");
            assertThat(c.cmd("r7", "SEARCH CHARSET UTF-8 LARGER 100 UNSEEN").get(0)).isEqualTo("* SEARCH 1");

            // COPY with COPYUID, MOVE with COPYUID and EXPUNGE
            assertThat(last(c.cmd("s1", "COPY 1 INBOX"))).matches("s1 OK \\[COPYUID \\d+ " + uid + " \\d+] COPY completed");
            assertThat(last(c.cmd("s2", "COPY 1 NoSuch"))).startsWith("s2 NO [TRYCREATE]");
            List<String> moved = c.cmd("s3", "MOVE 1 Trash");
            assertThat(moved.get(0)).matches("\\* OK \\[COPYUID \\d+ " + uid + " \\d+] Moved");
            assertThat(moved.get(1)).isEqualTo("* 1 EXPUNGE");
            assertThat(last(moved)).startsWith("s3 OK");
            assertThat(server.store.list(ELSA, "Work")).isEmpty();

            // EXPUNGE and UID EXPUNGE in Trash
            assertThat(last(c.cmd("s4", "SELECT Trash"))).startsWith("s4 OK");
            assertThat(last(c.cmd("s5", "STORE 1:* +FLAGS (\\Deleted)"))).startsWith("s5 OK");
            List<String> ex = c.cmd("s6", "UID EXPUNGE 1:*");
            assertThat(ex.get(0)).endsWith(" EXPUNGE");
            assertThat(last(c.cmd("s7", "EXAMINE INBOX"))).startsWith("s7 OK [READ-ONLY]");
            assertThat(last(c.cmd("s8", "STORE 1 +FLAGS (\\Seen)"))).startsWith("s8 NO [READ-ONLY]");
            assertThat(last(c.cmd("s9", "UNSELECT"))).startsWith("s9 OK");
            assertThat(last(c.cmd("t1", "CLOSE"))).startsWith("t1 BAD");
        }
    }

    // ------------------------------------------------------------------ concurrency, IDLE

    @Test
    void concurrentSessionsSeeEachOthersChangesWhereTheRfcAllows() throws Exception {
        server.store.createFolder(OLAF, "Shared");
        try (RawImap a = login(OLAF, OLAF_PW); RawImap b = login(OLAF, OLAF_PW)) {
            assertThat(last(a.cmd("a1", "SELECT Shared"))).startsWith("a1 OK");
            assertThat(last(b.cmd("b1", "SELECT Shared"))).startsWith("b1 OK");
            byte[] m = "Subject: one\r\n\r\nx\r\n".getBytes(StandardCharsets.US_ASCII);
            assertThat(last(b.cmd("b2", "APPEND Shared {" + m.length + "+}\r\n" + new String(m, StandardCharsets.US_ASCII)))).startsWith("b2 OK");
            assertThat(last(b.cmd("b3", "APPEND Shared {" + m.length + "+}\r\n" + new String(m, StandardCharsets.US_ASCII)))).startsWith("b3 OK");
            // a learns of them at its next command
            assertThat(a.cmd("a2", "NOOP")).contains("* 2 EXISTS", "* 2 RECENT");
            // b flags one, a sees an untagged FETCH
            assertThat(last(b.cmd("b4", "STORE 1 +FLAGS (\\Flagged)"))).startsWith("b4 OK");
            assertThat(a.cmd("a3", "NOOP")).anyMatch(l -> l.matches("\\* 1 FETCH \\(FLAGS \\(\\\\Flagged \\\\Recent\\) UID \\d+\\)"));
            // b expunges message 1: a is not told during FETCH (RFC 3501 §7.4.1), and is at the next NOOP
            assertThat(last(b.cmd("b5", "STORE 1 +FLAGS (\\Deleted)"))).startsWith("b5 OK");
            assertThat(b.cmd("b6", "EXPUNGE")).contains("* 1 EXPUNGE");
            List<String> during = a.cmd("a4", "FETCH 1:2 (FLAGS)");
            assertThat(during).noneMatch(l -> l.contains("EXPUNGE"));
            assertThat(during).anyMatch(l -> l.startsWith("* 2 FETCH"));
            assertThat(a.cmd("a5", "NOOP")).contains("* 1 EXPUNGE");
            assertThat(a.cmd("a6", "FETCH 1 (FLAGS)").get(0)).startsWith("* 1 FETCH");
        }
    }

    @Test
    void idleReportsDeliveriesAtOnceAndEndsWithDone() throws Exception {
        try (RawImap c = login(OLAF, OLAF_PW)) {
            List<String> sel = c.cmd("i1", "SELECT INBOX");
            int exists = Integer.parseInt(sel.stream().filter(l -> l.endsWith(" EXISTS")).findFirst().orElseThrow().split(" ")[1]);
            c.send("i2 IDLE\r\n");
            assertThat(c.line()).startsWith("+ idling");
            server.smtp("elsa@herald.test", OLAF, "Subject: over SMTP\r\n\r\nhi\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(c.line()).isEqualTo("* " + (exists + 1) + " EXISTS");
            assertThat(c.line()).isEqualTo("* 1 RECENT");
            deliver(OLAF, "directly");
            assertThat(c.line()).isEqualTo("* " + (exists + 2) + " EXISTS");
            c.line();
            c.send("DONE\r\n");
            assertThat(c.line()).isEqualTo("i2 OK IDLE terminated");
            c.send("i3 IDLE\r\n");
            assertThat(c.line()).startsWith("+ ");
            c.send("NOT-DONE\r\n");
            assertThat(c.line()).startsWith("i3 BAD Expected DONE");
            assertThat(last(c.cmd("i4", "NOOP"))).startsWith("i4 OK");
        }
    }

    @Test
    void idleLongerThanItsTimeoutEndsWithBye() throws Exception {
        try (RawImap c = login(OLAF, OLAF_PW)) {
            assertThat(last(c.cmd("j1", "SELECT INBOX"))).startsWith("j1 OK");
            c.send("j2 IDLE\r\n");
            assertThat(c.line()).startsWith("+ ");
            // not the 3 s autologout of this server: IDLE has its own timer (idle.timeout, 15 s here; 30 min by default)
            c.timeout(40_000);
            String bye;
            while (!(bye = c.line()).startsWith("* BYE")) assertThat(bye).startsWith("* ");
            assertThat(bye).isEqualTo("* BYE IDLE for too long");   // the autologout says "Autologout; idle for too long"
            assertThat(c.closedByServer()).isTrue();
        }
    }

    /** RFC 3501 §7.1.5: a server that closes the connection says BYE first; also when it stops (or imap.cfg changed). */
    @Test
    void stoppingTheServerSaysByeToEverySession(@TempDir Path other) throws Exception {
        TestServer stopping = new TestServer(other, "auth.plaintext.loopback", "true");
        boolean stopped = false;
        try (RawImap idling = new RawImap(stopping.imapPort());
             RawImap greeted = new RawImap(stopping.imapPort());
             RawImap overTls = RawImap.implicitTls(stopping.imapsPort())) {
            assertThat(idling.line()).startsWith("* OK");
            assertThat(last(idling.cmd("a", "LOGIN " + OLAF + " " + OLAF_PW))).startsWith("a OK");
            assertThat(last(idling.cmd("b", "SELECT INBOX"))).startsWith("b OK");
            idling.send("c IDLE\r\n");
            assertThat(idling.line()).startsWith("+ ");
            assertThat(greeted.line()).startsWith("* OK");
            assertThat(overTls.line()).startsWith("* OK");
            assertThat(last(overTls.cmd("a", "LOGIN " + ELSA + " " + ELSA_PW))).startsWith("a OK");

            stopped = true;
            stopping.close();

            for (RawImap c : List.of(idling, greeted, overTls)) {
                assertThat(c.line()).isEqualTo("* BYE Server shutting down");
                assertThat(c.closedByServer()).isTrue();
            }
        } finally {
            if (!stopped) stopping.close();
        }
    }

    // ------------------------------------------------------------------ TLS and login rules

    @Test
    void starttlsDiscardsInjectedCommandsAndLoginsShareTheThrottle() throws Exception {
        try (RawImap c = new RawImap(server.imapPort())) {
            assertThat(c.line()).contains("STARTTLS").contains("AUTH=PLAIN");
            // a command pipelined after STARTTLS in plain text is never executed (CVE-2011-0411)
            c.send("s1 STARTTLS\r\ns2 LOGIN elsa@herald.test " + ELSA_PW + "\r\n");
            assertThat(c.line()).isEqualTo("s1 OK Begin TLS negotiation now");
            c.upgrade();
            List<String> caps = c.cmd("s3", "CAPABILITY");
            assertThat(caps.get(0)).doesNotContain("STARTTLS").doesNotContain("LOGINDISABLED").contains("AUTH=SCRAM-SHA-256");
            assertThat(last(c.cmd("s4", "STARTTLS"))).startsWith("s4 BAD");
            assertThat(last(c.cmd("s5", "SELECT INBOX"))).startsWith("s5 BAD Log in first");
            // AUTHENTICATE PLAIN with SASL-IR, and without (continuation)
            long failuresBefore = server.server.sasl().throttle().failures(InetAddress.getLoopbackAddress(), null);
            String bad = java.util.Base64.getEncoder().encodeToString(("\0" + ELSA + "\0wrong").getBytes(StandardCharsets.UTF_8));
            assertThat(last(c.cmd("s6", "AUTHENTICATE PLAIN " + bad))).isEqualTo("s6 NO [AUTHENTICATIONFAILED] Authentication failed");
            assertThat(last(c.cmd("s7", "LOGIN " + ELSA + " wrong-again"))).startsWith("s7 NO [AUTHENTICATIONFAILED]");
            // the same throttle as SMTP AUTH counted both
            assertThat(server.server.sasl().throttle().failures(InetAddress.getLoopbackAddress(), null)).isEqualTo(failuresBefore + 2);
            c.send("s8 AUTHENTICATE PLAIN\r\n");
            assertThat(c.line()).isEqualTo("+ ");
            c.send("*\r\n");
            assertThat(c.line()).isEqualTo("s8 BAD Authentication cancelled");
            c.send("s9 AUTHENTICATE PLAIN\r\n");
            assertThat(c.line()).isEqualTo("+ ");
            c.send(java.util.Base64.getEncoder().encodeToString(("\0" + ELSA + "\0" + ELSA_PW).getBytes(StandardCharsets.UTF_8)) + "\r\n");
            assertThat(c.line()).startsWith("s9 OK [CAPABILITY IMAP4rev1");
        }
        // implicit TLS
        try (RawImap c = RawImap.implicitTls(server.imapsPort())) {
            assertThat(c.line()).startsWith("* OK [CAPABILITY").doesNotContain("STARTTLS");
            assertThat(last(c.cmd("l1", "LOGIN " + ELSA + " " + ELSA_PW))).startsWith("l1 OK");
        }
    }

    @Test
    void withoutTlsPlaintextLoginIsDisabledByDefault(@TempDir Path other) throws Exception {
        try (TestServer strict = new TestServer(other);
             RawImap c = new RawImap(strict.imapPort())) {
            assertThat(c.line()).contains("LOGINDISABLED").doesNotContain("AUTH=PLAIN").contains("STARTTLS");
            assertThat(last(c.cmd("a", "LOGIN " + ELSA + " " + ELSA_PW))).startsWith("a NO [PRIVACYREQUIRED]");
            String ir = java.util.Base64.getEncoder().encodeToString(("\0" + ELSA + "\0" + ELSA_PW).getBytes(StandardCharsets.UTF_8));
            assertThat(last(c.cmd("b", "AUTHENTICATE PLAIN " + ir))).startsWith("b NO [PRIVACYREQUIRED]");
            assertThat(last(c.cmd("c", "STARTTLS"))).startsWith("c OK");
            c.upgrade();
            assertThat(last(c.cmd("d", "LOGIN " + ELSA + " " + ELSA_PW))).startsWith("d OK");
        }
    }
}
