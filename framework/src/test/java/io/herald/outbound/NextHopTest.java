package io.herald.outbound;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class NextHopTest {

    @Test
    void hostsPortsAndLiterals() {
        assertThat(NextHop.parse("MX.Example.org")).isEqualTo(new NextHop("mx.example.org", 0));
        assertThat(NextHop.parse("mx.example.org:2525")).isEqualTo(new NextHop("mx.example.org", 2525));
        assertThat(NextHop.parse("192.0.2.1:26")).isEqualTo(new NextHop("192.0.2.1", 26));
        assertThat(NextHop.parse("[2001:db8::1]:587")).isEqualTo(new NextHop("2001:db8::1", 587));
        assertThat(NextHop.parse("[192.0.2.1]")).isEqualTo(new NextHop("192.0.2.1", 0));
        assertThat(NextHop.parse("192.0.2.1").literal()).isTrue();
        assertThat(NextHop.parse("[::1]:25").toString()).isEqualTo("[::1]:25");
        for (String bad : List.of("", "2001:db8::1", "host:0", "host:70000", "host:x", "[::1", "[::1]x", ":25")) {
            assertThatThrownBy(() -> NextHop.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }
}
