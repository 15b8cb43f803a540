package io.herald.outbound;

import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One reply of an SMTP server (RFC 5321 §4.2): a three-digit code and one or more text lines.
 *
 * @param code  the reply code, 200..599
 * @param lines the text of each line, without the code and separator
 */
public record Reply(int code, List<String> lines) {

    /** RFC 3463 enhanced status code at the start of the text, e.g. {@code 5.1.1}. */
    private static final Pattern ENHANCED = Pattern.compile("^([245])\\.(\\d{1,3})\\.(\\d{1,3})(?: |$)");

    public Reply {
        lines = List.copyOf(lines);
        if (code < 200 || code > 599) throw new IllegalArgumentException("not an SMTP reply code: " + code);
    }

    public boolean positive() { return code < 400; }

    /** 4xx: try again later (RFC 5321 §4.2.1). */
    public boolean transientFailure() { return code >= 400 && code < 500; }

    /** 5xx: do not repeat the same request. */
    public boolean permanentFailure() { return code >= 500; }

    /** The enhanced status code of the first line, if the server sent one. */
    public Optional<String> enhancedCode() {
        if (lines.isEmpty()) return Optional.empty();
        Matcher m = ENHANCED.matcher(lines.get(0));
        return m.find() ? Optional.of(m.group(1) + "." + m.group(2) + "." + m.group(3)) : Optional.empty();
    }

    /** The reply on one line, as recorded per recipient: {@code 550 5.1.1 <olaf@x>: no such user}. */
    public String oneLine() {
        String text = String.join(" ", lines).replaceAll("[\\r\\n\\t]+", " ").trim();
        return text.isEmpty() ? String.valueOf(code) : code + " " + text;
    }

    @Override
    public String toString() {
        return oneLine();
    }
}
