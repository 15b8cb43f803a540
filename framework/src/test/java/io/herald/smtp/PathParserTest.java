package io.herald.smtp;

import io.herald.api.mail.MailAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PathParserTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "<elsa@herald.test>                          | elsa               | herald.test",
            " <elsa@Herald.TEST>                         | elsa               | herald.test",
            "<first.last+tag@sub.example.org>            | first.last+tag     | sub.example.org",
            "<\"john doe\"@example.org>                  | john doe           | example.org",
            "<\"a\\\"b\\\\c\"@example.org>               | a\"b\\c            | example.org",
            "<\"a..b\"@example.org>                      | a..b               | example.org",
            "<@relay1.example,@relay2.example:u@d.example> | u                | d.example",
            "<user@[192.0.2.1]>                          | user               | [192.0.2.1]",
            "<user@[IPv6:2001:db8::1]>                   | user               | [ipv6:2001:db8::1]",
            "<user@[IPv6:::ffff:192.0.2.1]>              | user               | [ipv6:::ffff:192.0.2.1]",
            "<ölaf@hërald.test>                          | ölaf               | hërald.test",
    })
    void validPaths(String arg, String local, String domain) throws Exception {
        PathParser.Parsed p = PathParser.reversePath(arg);
        assertThat(p.address()).contains(new MailAddress(local, domain));
    }

    @Test
    void nullReversePathAndPostmaster() throws Exception {
        assertThat(PathParser.reversePath("<>").address()).isEmpty();
        assertThat(PathParser.forwardPath("<Postmaster>").postmaster()).isTrue();
        assertThatThrownBy(() -> PathParser.forwardPath("<>")).isInstanceOf(PathParser.SyntaxException.class);
    }

    @Test
    void parameters() throws Exception {
        PathParser.Parsed p = PathParser.reversePath("<a@b.example> size=100 BODY=8BITMIME SMTPUTF8");
        assertThat(p.parameters()).containsExactly(Map.entry("SIZE", "100"), Map.entry("BODY", "8BITMIME"), Map.entry("SMTPUTF8", ""));
        assertThat(p.nonAscii()).isFalse();
        assertThat(PathParser.reversePath("<ö@b.example>").nonAscii()).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "elsa@herald.test", "<elsa@herald.test", "<elsa>", "<@herald.test>", "<el sa@herald.test>",
            "<.elsa@herald.test>", "<elsa.@herald.test>", "<el..sa@herald.test>", "<elsa@-herald.test>",
            "<elsa@herald..test>", "<elsa@herald.test->", "<\"unterminated@herald.test>", "<elsa@[300.1.1.1]>",
            "<elsa@[1.2.3]>", "<elsa@[IPv6:zz::1]>", "<elsa@[tag:foo]>", "<elsa@herald.test>x", "<a@b.example> =x",
            "<a@b.example> SIZE=", "<a@b.example> SIZE=1 SIZE=2", "<@:a@b.example>", "<\"\"@b.example>",
            "<aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@b.example>"
    })
    void invalidPaths(String arg) {
        assertThatThrownBy(() -> PathParser.reversePath(arg)).isInstanceOf(PathParser.SyntaxException.class);
    }

    @Test
    void partsNameTheError() {
        assertThatThrownBy(() -> PathParser.reversePath("a@b"))
                .satisfies(e -> assertThat(((PathParser.SyntaxException) e).part()).isEqualTo(PathParser.Part.PATH));
        assertThatThrownBy(() -> PathParser.reversePath("<a@@b>"))
                .satisfies(e -> assertThat(((PathParser.SyntaxException) e).part()).isEqualTo(PathParser.Part.ADDRESS));
        assertThatThrownBy(() -> PathParser.reversePath("<a@b> SIZE=1 SIZE=1"))
                .satisfies(e -> assertThat(((PathParser.SyntaxException) e).part()).isEqualTo(PathParser.Part.PARAMETER));
    }

    /** Each refusal names what is wrong where it was found, not what the grammar expected next. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            "<a\\u0000b@example.com>          | ADDRESS   | Control character U+0000 in the local part",
            "<a\\u0001@example.com>           | ADDRESS   | Control character U+0001 in the local part",
            "<a\\u007fb@example.com>          | ADDRESS   | Control character U+007F in the local part",
            "<a\\u0085b@example.com>          | ADDRESS   | Control character U+0085 in the local part",
            "<\\u0000@example.com>            | ADDRESS   | Control character U+0000 in the local part",
            "<\"a\\u0000b\"@example.com>    | ADDRESS   | Control character U+0000 in the quoted local part",
            "<\"a\\\\u0000b\"@example.com> | ADDRESS  | Control character U+0000 in the quoted local part",
            "<ab@exa\\u0000mple.com>          | ADDRESS   | Control character U+0000 in the domain",
            "<ab@[127.0.0.1\\u0000]>          | ADDRESS   | Control character U+0000 in the address literal",
            "<@a\\u0000.example:ab@b.example> | ADDRESS   | Control character U+0000 in the source route",
            "<ab@example.com>\\u0000          | PATH      | Control character U+0000 in the text after the path",
            "\\u0000<ab@example.com>          | PATH      | Control character U+0000 in the path",
            "<ab@example.com> SIZE=1\\u0000   | PARAMETER | Control character U+0000 in the parameter",
            "<a b@example.com>                | ADDRESS   | Unexpected space in the local part",
            "<ab\"@example.com>              | ADDRESS   | Quote inside an unquoted local part",
            "<\"ab@example.com>              | ADDRESS   | Unterminated quoted string",
            "<\"a\"b@example.com>           | ADDRESS   | Unexpected character 'b' after the quoted local part",
            "<\"\"@example.com>             | ADDRESS   | Empty local part",
            "<@example.com>                   | ADDRESS   | Empty local part",
            "<.ab@example.com>                | ADDRESS   | Local part starts with a dot (quote it)",
            "<ab.@example.com>                | ADDRESS   | Local part ends with a dot (quote it)",
            "<a..b@example.com>               | ADDRESS   | Two dots in a row in the local part (quote it)",
            "<ab>                             | ADDRESS   | Address must have a domain (no @)",
            "<ab@>                            | ADDRESS   | Empty domain after @",
            "<ab@example.com                  | ADDRESS   | Path must end with >",
            "<ab@[127.0.0.1]x>                | ADDRESS   | Unexpected character 'x' after the domain",
            "<a@@example.com>                 | ADDRESS   | Unexpected character '@' in the domain",
            "<a@exa_mple.com>                 | ADDRESS   | Unexpected character '_' in the domain",
            "<a@example..com>                 | ADDRESS   | Empty label in the domain (a dot at its start or end, or two in a row)",
            "<a@example.com.>                 | ADDRESS   | Empty label in the domain (a dot at its start or end, or two in a row)",
            "<a@-example.com>                 | ADDRESS   | Label of the domain starts or ends with a hyphen",
            "<a@ex ample.com>                 | ADDRESS   | Unexpected space in the domain",
    })
    void refusalsNameTheProblem(String escaped, PathParser.Part part, String message) {
        String arg = unescape(escaped);
        assertThatThrownBy(() -> PathParser.reversePath(arg))
                .isInstanceOf(PathParser.SyntaxException.class).hasMessage(message)
                .satisfies(e -> assertThat(((PathParser.SyntaxException) e).part()).isEqualTo(part));
    }

    @Test
    void aDomainOverTheLimitsSaysWhich() {
        assertThatThrownBy(() -> PathParser.forwardPath("<a@" + "x".repeat(64) + ".example>"))
                .hasMessage("Label of the domain longer than 63 characters");
        String longDomain = ("x".repeat(60) + ".").repeat(4) + "example";   // 251 octets
        assertThat(PathParser.isDomain(longDomain)).isTrue();
        assertThatThrownBy(() -> PathParser.forwardPath("<a@" + longDomain + "xxxxxxx>"))
                .hasMessage("Domain longer than 255 octets (258)");
    }

    @Test
    void aLocalPartOverSixtyFourOctetsSaysHowLongItIs() {
        assertThatThrownBy(() -> PathParser.forwardPath("<" + "a".repeat(65) + "@example.com>"))
                .hasMessage("Local part longer than 64 octets (65)");
        // octets, not characters: 33 two-octet letters are 66 octets
        assertThatThrownBy(() -> PathParser.forwardPath("<" + "\u00f6".repeat(33) + "@example.com>"))
                .hasMessage("Local part longer than 64 octets (66)");
    }

    /** {@code \\uXXXX} escapes in the table above (a CSV source cannot carry a NUL literally). */
    private static String unescape(String s) {
        StringBuilder b = new StringBuilder();
        for (int k = 0; k < s.length(); k++) {
            if (s.startsWith("\\u", k) && k + 6 <= s.length()) {
                b.append((char) Integer.parseInt(s.substring(k + 2, k + 6), 16));
                k += 5;
            } else {
                b.append(s.charAt(k));
            }
        }
        return b.toString();
    }

    @Test
    void domainsAndLiterals() {
        assertThat(PathParser.isDomain("mx1.herald.test")).isTrue();
        assertThat(PathParser.isDomain("a-b.c")).isTrue();
        assertThat(PathParser.isDomain("a_b.c")).isFalse();
        assertThat(PathParser.isAddressLiteral("[127.0.0.1]")).isTrue();
        assertThat(PathParser.isAddressLiteral("[IPv6:::1]")).isTrue();
        assertThat(PathParser.isAddressLiteral("[256.0.0.1]")).isFalse();
    }

    /** Regression: U-labels with combining marks were refused, including ones MailAddress itself produced. */
    @ParameterizedTest
    @ValueSource(strings = {"<user@\u092D\u093E\u0930\u0924.test>", "<user@\u0130stanbul.test>", "<user@i\u0307stanbul.test>"})
    void domainsWithCombiningMarksParseAndRoundTrip(String path) throws Exception {
        MailAddress a = PathParser.forwardPath(path).address().orElseThrow();
        assertThat(PathParser.forwardPath("<" + a + ">").address()).contains(a);
        assertThat(PathParser.isDomain("\u093E" + "x.test")).as("a mark cannot start a label").isFalse();
    }

    /** Regression: an IPv6 literal not starting with a hex digit or ':' was handed to the DNS resolver. */
    @ParameterizedTest
    @ValueSource(strings = {".:1", "..:", ".1:2:3"})
    void ipv6LiteralsThatAreNoLiteralsAreRefusedWithoutALookup(String literal) {
        assertThat(PathParser.isIpv6(literal)).isFalse();
        assertThat(PathParser.isAddressLiteral("[IPv6:" + literal + "]")).isFalse();
    }
}
