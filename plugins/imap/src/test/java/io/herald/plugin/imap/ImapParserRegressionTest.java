package io.herald.plugin.imap;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The faults of the IMAP command parser found with {@link ImapCommandFuzzTest}'s harness, each as the kind it is, on a
 * real session with the default command length limit (64 KiB): the command gets a tagged BAD (or its answer), the
 * session goes on, and nothing is multiplied out.
 */
class ImapParserRegressionTest {

    static OfflineImap imap;

    @BeforeAll
    static void start() throws Exception {
        imap = OfflineImap.start(64 * 1024);
    }

    @AfterAll
    static void stop() throws Exception {
        if (imap != null) imap.close();
    }

    private static String run(String wire) throws Throwable {
        return imap.run(false, wire.getBytes(StandardCharsets.ISO_8859_1));
    }

    /** Numbers the client writes are bounded in digits before they are converted (a long has 19). */
    @Test
    void aLiteralLengthWithMoreDigitsThanALongHoldsIsBad() throws Throwable {
        String out = run("a SEARCH TEXT {99999999999999999999}\r\nb APPEND INBOX {123456789012345678901234567890+}\r\nc NOOP\r\n");
        assertThat(out).contains("a BAD Bad literal length\r\n", "b BAD Bad literal length\r\n", "c OK NOOP completed")
                .doesNotContain("BYE");
    }

    /** Mailbox names and LIST / LSUB patterns alike are checked as modified UTF-7: 8-bit or control octets are BAD. */
    @Test
    void listAndLsubPatternsThatAreNoModifiedUtf7AreBad() throws Throwable {
        String out = run("a LIST \"\" \"caf\u00e9*\"\r\nb LSUB \"\" {4}\r\n\u0001abc\r\nc LIST \"\" \"\u007f\"\r\n"
                + "d SELECT \"\u0001\"\r\ne LIST \"\" Arch*\r\n");
        assertThat(out).contains("a BAD Mailbox pattern is not valid modified UTF-7\r\n",
                "b BAD Mailbox pattern is not valid modified UTF-7\r\n", "c BAD Mailbox pattern is not valid modified UTF-7\r\n",
                "d BAD Mailbox name is not valid modified UTF-7\r\n", "\"/\" Archive\r\n", "e OK LIST completed")
                .doesNotContain("BYE");
    }

    /** 8-bit octets outside a quoted string or literal get a BAD that says so, not "Expected a space". */
    @Test
    void eightBitCharactersInAnAtomAreBadWithAMessageThatSaysWhereTheyMayGo() throws Throwable {
        String bad = "BAD 8-bit characters are allowed only in a quoted string or a literal, not in an atom (RFC 3501 section 9)\r\n";
        // imaplib sends LOGIN jörg@herald.test ... unquoted; here a SEARCH string: in the middle, at the start, at the end
        String out = run("a SEARCH SUBJECT gr\u00c3\u00bc\u00c3\u009fe ALL\r\nb SEARCH SUBJECT \u00c3\u00bcber\r\n"
                + "c SEARCH ALL\u00c3\u00bc\r\nd SEARCH CHARSET UTF-8 SUBJECT \"gr\u00c3\u00bc\u00c3\u009fe\"\r\ne NOOP\r\n");
        assertThat(out).contains("a " + bad, "b " + bad, "c " + bad, "d OK SEARCH completed", "e OK NOOP completed")
                .doesNotContain("BYE");
    }

    /** Nesting of SEARCH keys is bounded: parentheses, NOT and OR alike; 100 levels still work. */
    @Test
    void searchKeysNestedTooDeeplyAreBadAndTheSessionGoesOn() throws Throwable {
        String out = run("a SEARCH " + "(".repeat(30_000) + "ALL" + ")".repeat(30_000) + "\r\n"
                + "b SEARCH " + "NOT ".repeat(15_000) + "ALL\r\n"
                + "c UID SEARCH " + "OR SEEN ".repeat(8_000) + "ALL\r\n"
                + "d SEARCH " + "(".repeat(Search.MAX_DEPTH - 1) + "ALL" + ")".repeat(Search.MAX_DEPTH - 1) + "\r\n"
                + "e SEARCH " + "NOT ".repeat(Search.MAX_DEPTH - 2) + "ALL\r\n");
        assertThat(out).contains("a BAD Search keys nested more than 100 levels deep\r\n",
                "b BAD Search keys nested more than 100 levels deep\r\n",
                "c BAD Search keys nested more than 100 levels deep\r\n",
                "* SEARCH 1 2 3\r\nd OK SEARCH completed\r\n",
                "* SEARCH 1 2 3\r\ne OK SEARCH completed\r\n").doesNotContain("BYE");
    }

    /** Overlapping sequence ranges are merged before they are expanded: each message once, in order. */
    @Test
    void overlappingSequenceSetsNameEachMessageOnce() throws Throwable {
        String out = run("a FETCH 3,1:*,2:3,*:1,2 FLAGS\r\n"
                + "b SEARCH " + "1:*,".repeat(10_000) + "2\r\n"
                + "c STORE " + "*:1,".repeat(10_000) + "3 +FLAGS.SILENT (\\Seen)\r\n");
        Matcher m = Pattern.compile("\\* (\\d+) FETCH").matcher(out.substring(0, out.indexOf("a OK")));
        StringBuilder msns = new StringBuilder();
        while (m.find()) msns.append(m.group(1));
        assertThat(msns.toString()).isEqualTo("123");
        assertThat(out).contains("* SEARCH 1 2 3\r\nb OK SEARCH completed\r\n");
        // the set resolved (the read-only store then refuses the change)
        assertThat(out).contains("c NO [UNAVAILABLE]");
    }
}
