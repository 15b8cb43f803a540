package io.herald.api.auth;

import java.text.Normalizer;

/**
 * SASLprep (RFC 4013, the stringprep profile for user names and passwords), as SCRAM (RFC 5802 §2.2) requires.
 *
 * <p>Implemented: mapping of non-ASCII spaces (table C.1.2) to SPACE, removal of the characters "commonly mapped
 * to nothing" (table B.1), Unicode normalisation form KC, and refusal of control characters (C.2), private use
 * (C.3), non-characters (C.4), surrogates (C.5) and the other prohibited characters of C.6–C.9 and of
 * RFC 3454 table C.8 that Java's {@link Character} categories identify. Strings that are plain printable ASCII —
 * nearly every real user name — pass unchanged. Not implemented: the bidirectional-text check (RFC 3454 §6); a
 * string that fails it is accepted as is.
 */
public final class SaslPrep {

    private SaslPrep() { }

    /** Prepares a stored string (unassigned code points refused) or a query string ({@code query} true: allowed). */
    public static String prepare(String s, boolean query) {
        return new String(prepare(s.toCharArray(), query));
    }

    /**
     * @throws IllegalArgumentException when the string contains a prohibited character
     */
    public static char[] prepare(char[] in, boolean query) {
        boolean ascii = true;
        for (char c : in) {
            if (c < 0x20 || c >= 0x7f) { ascii = false; break; }
        }
        if (ascii) return in.clone();
        StringBuilder b = new StringBuilder(in.length);
        String s = new String(in);
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            if (isMappedToNothing(cp)) continue;
            if (Character.isSpaceChar(cp) && cp != ' ') {
                b.append(' ');
            } else {
                b.appendCodePoint(cp);
            }
        }
        String norm = Normalizer.normalize(b, Normalizer.Form.NFKC);
        for (int i = 0; i < norm.length(); ) {
            int cp = norm.codePointAt(i);
            i += Character.charCount(cp);
            if (isProhibited(cp)) {
                throw new IllegalArgumentException(String.format("character U+%04X is not allowed (RFC 4013 §2.3)", cp));
            }
            if (!query && !Character.isDefined(cp)) {
                throw new IllegalArgumentException(String.format("unassigned character U+%04X (RFC 4013 §2.5)", cp));
            }
        }
        return norm.toCharArray();
    }

    private static boolean isMappedToNothing(int cp) {
        return cp == 0x00AD || cp == 0x034F || cp == 0x1806 || (cp >= 0x180B && cp <= 0x180D) || cp == 0x200B
                || cp == 0x200C || cp == 0x200D || cp == 0x2060 || (cp >= 0xFE00 && cp <= 0xFE0F) || cp == 0xFEFF;
    }

    private static boolean isProhibited(int cp) {
        int type = Character.getType(cp);
        return type == Character.CONTROL || type == Character.PRIVATE_USE || type == Character.SURROGATE
                || (cp >= 0xFDD0 && cp <= 0xFDEF) || (cp & 0xFFFE) == 0xFFFE // non-characters
                || (cp >= 0xFFF9 && cp <= 0xFFFD) // C.6, C.7
                || (cp >= 0x2FF0 && cp <= 0x2FFB) // C.7
                || cp == 0x0340 || cp == 0x0341 || cp == 0x200E || cp == 0x200F || (cp >= 0x202A && cp <= 0x202E)
                || (cp >= 0x206A && cp <= 0x206F) // C.8
                || cp == 0xE0001 || (cp >= 0xE0020 && cp <= 0xE007F); // C.9
    }
}
