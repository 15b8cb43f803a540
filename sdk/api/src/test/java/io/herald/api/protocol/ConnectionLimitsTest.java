package io.herald.api.protocol;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConnectionLimitsTest {

    static InetAddress ip(String s) throws Exception {
        return InetAddress.getByName(s);
    }

    @Test
    void perAddressLimitRefusesOneMoreWhileOtherAddressesAreAdmittedAndCloseReleases() throws Exception {
        ConnectionLimits limits = new ConnectionLimits(100, 2);
        var a = limits.admit(ip("127.0.0.2"));
        var b = limits.admit(ip("127.0.0.2"));
        assertThat(a).isInstanceOf(ConnectionLimits.Admitted.class);
        assertThat(b).isInstanceOf(ConnectionLimits.Admitted.class);
        assertThat(limits.admit(ip("127.0.0.2"))).isEqualTo(new ConnectionLimits.Refused(ConnectionLimits.Reason.TOO_MANY_FROM_ADDRESS));
        assertThat(limits.admit(ip("127.0.0.1"))).isInstanceOf(ConnectionLimits.Admitted.class);
        assertThat(limits.open()).isEqualTo(3);
        assertThat(limits.refused()).isEqualTo(1);
        ((ConnectionLimits.Admitted) a).close();
        ((ConnectionLimits.Admitted) a).close();   // twice releases once
        assertThat(limits.openFrom(ip("127.0.0.2"))).isEqualTo(1);
        assertThat(limits.admit(ip("127.0.0.2"))).isInstanceOf(ConnectionLimits.Admitted.class);
    }

    @Test
    void totalLimitCountsEveryAddressAndNothingLeaksAfterClose() throws Exception {
        ConnectionLimits limits = new ConnectionLimits(3, 50);
        List<ConnectionLimits.Admitted> open = new ArrayList<>();
        for (int i = 2; i <= 4; i++) open.add((ConnectionLimits.Admitted) limits.admit(ip("127.0.0." + i)));
        assertThat(limits.admit(ip("127.0.0.5"))).isEqualTo(new ConnectionLimits.Refused(ConnectionLimits.Reason.TOO_MANY_SESSIONS));
        open.forEach(ConnectionLimits.Admitted::close);
        assertThat(limits.open()).isZero();
        assertThat(limits.addresses()).isZero();
    }

    @Test
    void ipv6CountsByItsSlash64() throws Exception {
        ConnectionLimits limits = new ConnectionLimits(10, 1);
        assertThat(limits.admit(ip("2001:db8:1:2::1"))).isInstanceOf(ConnectionLimits.Admitted.class);
        assertThat(limits.admit(ip("2001:db8:1:2::ffff"))).isInstanceOf(ConnectionLimits.Refused.class);
        assertThat(limits.admit(ip("2001:db8:1:3::1"))).isInstanceOf(ConnectionLimits.Admitted.class);
    }

    @Test
    void limitsBelowOneAreRefused() {
        assertThatThrownBy(() -> new ConnectionLimits(0, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ConnectionLimits(1, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    /** Limits read at each admit (the SMTP core's reconfiguration): a lower limit refuses until enough have closed. */
    @Test
    void suppliedLimitsAreReadAtEachAdmit() throws Exception {
        java.util.concurrent.atomic.AtomicInteger perAddress = new java.util.concurrent.atomic.AtomicInteger(2);
        ConnectionLimits limits = new ConnectionLimits(() -> 100, perAddress::get);
        InetAddress a = ip("192.0.2.1");
        ConnectionLimits.Admission first = limits.admit(a);
        ConnectionLimits.Admission second = limits.admit(a);
        assertThat(second).isInstanceOf(ConnectionLimits.Admitted.class);
        perAddress.set(1);
        assertThat(limits.admit(a)).isEqualTo(new ConnectionLimits.Refused(ConnectionLimits.Reason.TOO_MANY_FROM_ADDRESS));
        ((ConnectionLimits.Admitted) second).close();
        assertThat(limits.admit(a)).as("still one open, the new limit").isInstanceOf(ConnectionLimits.Refused.class);
        ((ConnectionLimits.Admitted) first).close();
        assertThat(limits.admit(a)).isInstanceOf(ConnectionLimits.Admitted.class);
        perAddress.set(5);
        assertThat(limits.admit(a)).isInstanceOf(ConnectionLimits.Admitted.class);
        assertThat(limits.open()).isEqualTo(2);
        assertThat(limits.refused()).isEqualTo(2);
    }
}
