package io.herald.api.smtp;

import java.util.List;

/**
 * What an {@link SmtpHook} answers at one stage of a transaction.
 *
 * <ul>
 *   <li>{@link Next}: no objection; the next hook in the chain is asked. May add header fields (end of DATA only).</li>
 *   <li>{@link Accept}: accept now, without asking the remaining hooks of this stage.</li>
 *   <li>{@link Reject}: a permanent refusal (5xx).</li>
 *   <li>{@link Defer}: a temporary refusal (4xx): the client may try again later.</li>
 * </ul>
 */
public sealed interface HookResult {

    record Next(List<HeaderField> addHeaders) implements HookResult {
        public Next { addHeaders = List.copyOf(addHeaders); }
    }

    record Accept() implements HookResult { }

    /** @param code a 5xx reply code; @param enhancedCode an RFC 3463 code such as {@code 5.7.1}; @param text the reply text */
    record Reject(int code, String enhancedCode, String text) implements HookResult {
        public Reject {
            if (code < 500 || code > 599) throw new IllegalArgumentException("a rejection needs a 5xx code: " + code);
            checkEnhanced(enhancedCode, '5');
        }
    }

    /** @param code a 4xx reply code; @param enhancedCode an RFC 3463 code such as {@code 4.7.0}; @param text the reply text */
    record Defer(int code, String enhancedCode, String text) implements HookResult {
        public Defer {
            if (code < 400 || code > 499) throw new IllegalArgumentException("a deferral needs a 4xx code: " + code);
            checkEnhanced(enhancedCode, '4');
        }
    }

    static HookResult next() { return NEXT; }

    static HookResult next(List<HeaderField> addHeaders) { return new Next(addHeaders); }

    static HookResult accept() { return ACCEPT; }

    static HookResult reject(int code, String enhancedCode, String text) { return new Reject(code, enhancedCode, text); }

    static HookResult defer(int code, String enhancedCode, String text) { return new Defer(code, enhancedCode, text); }

    Next NEXT = new Next(List.of());
    Accept ACCEPT = new Accept();

    private static void checkEnhanced(String code, char cls) {
        if (code == null || !code.matches("[245]\\.\\d{1,3}\\.\\d{1,3}") || code.charAt(0) != cls)
            throw new IllegalArgumentException("enhanced status code must look like " + cls + ".x.y: " + code);
    }
}
