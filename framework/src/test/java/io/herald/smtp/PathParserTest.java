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
