package io.herald.plugin.imap;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A cursor over one complete command in wire form (RFC 3501 §9): tag, atoms, quoted strings, literals (the octets
 * follow the {@code {n}} CRLF announcement), parenthesised lists. Every method that cannot read what the grammar
 * asks for throws {@link Bad}, answered with a tagged {@code BAD}.
 */
final class Args {

    /** A syntax error in the command: the text goes into the {@code BAD} response. */
    static class Bad extends Exception {
        Bad(String message) {
            super(message, null, false, false);
        }
    }

    /** The most digits a literal's length may have (as {@link CommandReader} frames them): 10^12 octets. */
    static final int MAX_LITERAL_DIGITS = 12;

    private final byte[] b;
    private int p;

    Args(byte[] command) {
        this.b = command;
    }

    boolean atEnd() {
        return p >= b.length;
    }

    void end() throws Bad {
        if (!atEnd()) throw unexpected("Unexpected characters at the end of the command");
    }

    /**
     * The error for an octet the grammar does not allow here: a precise one when it is 8-bit (a client that sends
     * {@code LOGIN jörg@herald.test ...} unquoted, as Python's imaplib does, was told "Expected a space").
     */
    private Bad unexpected(String otherwise) {
        return peek() >= 0x80
                ? new Bad("8-bit characters are allowed only in a quoted string or a literal, not in an atom (RFC 3501 section 9)")
                : new Bad(otherwise);
    }

    int peek() {
        return p < b.length ? b[p] & 0xff : -1;
    }

    boolean tryChar(char c) {
        if (peek() == c) {
            p++;
            return true;
        }
        return false;
    }

    void expect(char c) throws Bad {
        if (!tryChar(c)) throw new Bad("Expected '" + c + "'" + (atEnd() ? " but the command ended" : ""));
    }

    void sp() throws Bad {
        if (!tryChar(' ')) throw atEnd() ? new Bad("Missing argument") : unexpected("Expected a space");
    }

    /** A space followed by something, or false at the end. */
    boolean more() {
        return tryChar(' ');
    }

    static boolean isTag(String s) {
        if (s.isEmpty()) return false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!isAstringChar(c) || c == '+') return false;
        }
        return true;
    }

    static boolean isAtomChar(int c) {
        return c > 0x20 && c < 0x7f && "(){%*\"\\]".indexOf(c) < 0;
    }

    static boolean isAstringChar(int c) {
        return isAtomChar(c) || c == ']';
    }

    String tag() throws Bad {
        int s = p;
        while (p < b.length && isAstringChar(b[p] & 0xff) && b[p] != '+') p++;
        if (p == s) throw new Bad("Missing or invalid tag");
        return new String(b, s, p - s, StandardCharsets.US_ASCII);
    }

    /** An atom (command names, flags without the backslash rules, search keys). */
    String atom() throws Bad {
        int s = p;
        while (p < b.length && isAtomChar(b[p] & 0xff)) p++;
        if (p == s) throw atEnd() ? new Bad("Missing argument") : unexpected("Expected an atom");
        return new String(b, s, p - s, StandardCharsets.US_ASCII);
    }

    /** A FETCH attribute name: an atom that ends before {@code [} (BODY[...], BODY.PEEK[...]). */
    String fetchAtt() throws Bad {
        int s = p;
        while (p < b.length && isAtomChar(b[p] & 0xff) && b[p] != '[' && b[p] != '<') p++;
        if (p == s) throw new Bad(atEnd() ? "Missing argument" : "Expected a FETCH item");
        return new String(b, s, p - s, StandardCharsets.US_ASCII);
    }

    /** Characters up to a space, ')' or the end: sequence sets, section specs, dates. */
    String word() throws Bad {
        int s = p;
        while (p < b.length && b[p] != ' ' && b[p] != ')' && b[p] != '(') p++;
        if (p == s) throw new Bad("Missing argument");
        return new String(b, s, p - s, StandardCharsets.US_ASCII);
    }

    /** The characters up to the next space or parenthesis, without consuming them. */
    String peekWord() {
        int e = p;
        while (e < b.length && b[e] != ' ' && b[e] != ')' && b[e] != '(') e++;
        return new String(b, p, e - p, StandardCharsets.US_ASCII);
    }

    /** A flag: an atom, or a backslash and an atom. */
    String flag() throws Bad {
        if (tryChar('\\')) {
            if (tryChar('*')) return "\\*";
            return "\\" + atom();
        }
        return atom();
    }

    /** {@code (flag *(SP flag))}, or a single flag or space-separated flags without parentheses (STORE allows it). */
    List<String> flags(boolean parenthesesOptional) throws Bad {
        List<String> out = new ArrayList<>();
        if (tryChar('(')) {
            if (tryChar(')')) return out;
            do {
                out.add(flag());
            } while (tryChar(' '));
            expect(')');
            return out;
        }
        if (!parenthesesOptional) throw new Bad("Expected a flag list");
        do {
            out.add(flag());
        } while (tryChar(' '));
        return out;
    }

    /** A string (quoted or literal) as octets. */
    byte[] stringBytes() throws Bad {
        if (peek() == '"') return quoted().getBytes(StandardCharsets.UTF_8);
        if (peek() == '{' || (peek() == '~' && p + 1 < b.length && b[p + 1] == '{')) return literal();
        throw new Bad("Expected a string");
    }

    private String quoted() throws Bad {
        expect('"');
        StringBuilder sb = new StringBuilder();
        int s = p;
        java.io.ByteArrayOutputStream raw = new java.io.ByteArrayOutputStream();
        while (true) {
            if (p >= b.length) throw new Bad("Unterminated quoted string");
            int c = b[p++] & 0xff;
            if (c == '"') break;
            if (c == '\r' || c == '\n') throw new Bad("CR or LF in a quoted string");
            if (c == '\\') {
                if (p >= b.length) throw new Bad("Unterminated quoted string");
                c = b[p++] & 0xff;
                if (c != '"' && c != '\\') throw new Bad("Only \\\" and \\\\ may be escaped in a quoted string");
            }
            raw.write(c);
        }
        sb.append(raw.toString(StandardCharsets.UTF_8));
        return sb.toString();
    }

    private byte[] literal() throws Bad {
        tryChar('~');
        expect('{');
        int s = p;
        while (p < b.length && b[p] >= '0' && b[p] <= '9') p++;
        // bounded before it is converted, like every number the client writes (number(), CommandReader): 20 digits
        // would overflow a long (a NumberFormatException escaped: "* BYE Internal server error"; ImapParserRegressionTest)
        if (p == s || p - s > MAX_LITERAL_DIGITS) throw new Bad("Bad literal length");
        long n = Long.parseLong(new String(b, s, p - s, StandardCharsets.US_ASCII));
        tryChar('+');
        expect('}');
        if (!tryChar('\r')) { /* a bare LF is tolerated */ }
        expect('\n');
        if (n > b.length - p) throw new Bad("Literal shorter than announced");
        byte[] out = java.util.Arrays.copyOfRange(b, p, p + (int) n);
        p += (int) n;
        return out;
    }

    /** An astring: an atom (with ']'), a quoted string or a literal. */
    String astring() throws Bad {
        int c = peek();
        if (c == '"' || c == '{' || c == '~') return new String(stringBytes(), StandardCharsets.UTF_8);
        int s = p;
        while (p < b.length && isAstringChar(b[p] & 0xff)) p++;
        if (p == s) throw atEnd() ? new Bad("Missing argument") : unexpected("Expected a string");
        return new String(b, s, p - s, StandardCharsets.UTF_8);
    }

    /** A LIST pattern: list-char atoms (with {@code %} and {@code *}) or a string. */
    String listMailbox() throws Bad {
        int c = peek();
        if (c == '"' || c == '{') return new String(stringBytes(), StandardCharsets.UTF_8);
        int s = p;
        while (p < b.length && (isAstringChar(b[p] & 0xff) || b[p] == '%' || b[p] == '*')) p++;
        if (p == s) throw new Bad("Expected a mailbox pattern");
        return new String(b, s, p - s, StandardCharsets.UTF_8);
    }

    /** A parenthesised list of atoms, upper-cased. */
    List<String> atomList() throws Bad {
        expect('(');
        List<String> out = new ArrayList<>();
        if (tryChar(')')) return out;
        do {
            out.add(atom().toUpperCase(Locale.ROOT));
        } while (tryChar(' '));
        expect(')');
        return out;
    }

    /** A number (RFC 3501 number: up to 2^32-1). */
    long number() throws Bad {
        int s = p;
        while (p < b.length && b[p] >= '0' && b[p] <= '9') p++;
        if (p == s || p - s > 10) throw new Bad("Expected a number");
        long v = Long.parseLong(new String(b, s, p - s, StandardCharsets.US_ASCII));
        if (v > 0xffffffffL) throw new Bad("Number too large");
        return v;
    }
}
