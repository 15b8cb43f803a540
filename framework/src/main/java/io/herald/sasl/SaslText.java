package io.herald.sasl;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** Strict UTF-8 decoding for SASL messages: invalid UTF-8 is a malformed response, never replaced silently. */
final class SaslText {

    private SaslText() { }

    static char[] utf8(byte[] bytes, int from, int to, String what) throws MalformedSaslResponseException {
        try {
            CharBuffer cb = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes, from, to - from));
            char[] out = Arrays.copyOfRange(cb.array(), cb.arrayOffset() + cb.position(), cb.arrayOffset() + cb.limit());
            Arrays.fill(cb.array(), '\0');
            return out;
        } catch (CharacterCodingException e) {
            throw new MalformedSaslResponseException(what + " is not valid UTF-8");
        }
    }

    static String utf8String(byte[] bytes, String what) throws MalformedSaslResponseException {
        return new String(utf8(bytes, 0, bytes.length, what));
    }
}
