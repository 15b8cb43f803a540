package io.herald.testkit.smtp;

import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One SMTP reply (RFC 5321 §4.2): its three-digit code, its lines (text after the code and separator), and the
 * RFC 3463 enhanced status code when the first line starts with one.
 *
 * @param code  the reply code, e.g. 250
 * @param lines the text of each line, without the code and the {@code -}/space separator; at least one
 */
public record Reply(int code, List<String> lines) {

    private static final Pattern ENHANCED = Pattern.compile("^([245]\\.\\d{1,3}\\.\\d{1,3})(?: |$)");

    public Reply {
        if (code < 200 || code > 599) throw new IllegalArgumentException("not an SMTP reply code: " + code);
        lines = List.copyOf(lines);
        if (lines.isEmpty()) throw new IllegalArgumentException("a reply has at least one line");
    }

    /** 2xx: the command was accepted. */
    public boolean isPositive() { return code / 100 == 2; }

    /** 3xx: the server waits for more (354 after DATA, 334 during AUTH). */
    public boolean isIntermediate() { return code / 100 == 3; }

    /** 4xx: a temporary refusal; the client may try again later. */
    public boolean isTransientFailure() { return code / 100 == 4; }

    /** 5xx: a permanent refusal. */
    public boolean isPermanentFailure() { return code / 100 == 5; }

    /** The enhanced status code of the first line ({@code 5.7.1}), if any. */
    public Optional<String> enhancedCode() {
        Matcher m = ENHANCED.matcher(lines.get(0));
        return m.find() ? Optional.of(m.group(1)) : Optional.empty();
    }

    /** The text of all lines joined with a newline, enhanced code of the first line included. */
    public String text() {
        return String.join("\n", lines);
    }

    /** The reply as the server sent it, lines joined with a newline: {@code 250 2.0.0 queued as ...}. */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < lines.size(); i++) {
            if (i > 0) b.append('\n');
            b.append(code).append(i == lines.size() - 1 ? ' ' : '-').append(lines.get(i));
        }
        return b.toString();
    }
}
