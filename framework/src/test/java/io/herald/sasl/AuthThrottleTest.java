package io.herald.sasl;

import io.herald.config.ConfigStore;
import io.herald.api.config.ConfigurationException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AuthThrottleTest {

    final MutableClock clock = new MutableClock();
    final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    final AuthThrottle throttle = new AuthThrottle(AuthThrottle.Limits.defaults(), clock, scheduler);
    final InetAddress ip = InetAddress.getLoopbackAddress();

    @AfterEach
    void stop() { scheduler.shutdownNow(); }

    @Test
    void delaysGrowAfterTheFirstFailuresThenLockOut() throws Exception {
        assertThat(throttle.failed(ip, "elsa")).isZero();
        assertThat(throttle.failed(ip, "elsa")).isZero();
        assertThat(throttle.failed(ip, "elsa")).isZero();
        assertThat(throttle.failed(ip, "elsa")).isEqualTo(Duration.ofSeconds(1));
        assertThat(throttle.failed(ip, "elsa")).isEqualTo(Duration.ofSeconds(2));
        assertThat(throttle.failed(ip, "elsa")).isEqualTo(Duration.ofSeconds(4));
        for (int i = 7; i < 10; i++) throttle.failed(ip, "elsa");
        assertThat(throttle.check(ip, "elsa")).isInstanceOf(AuthThrottle.Verdict.Allowed.class);
        throttle.failed(ip, "elsa"); // the 10th locks the account, not yet the address (address.lockout.after = 30)
        assertThat(throttle.check(ip, "elsa")).isInstanceOf(AuthThrottle.Verdict.Locked.class);
        assertThat(throttle.check(ip, "olaf")).isInstanceOf(AuthThrottle.Verdict.Allowed.class);
        assertThat(throttle.check(InetAddress.getByName("192.0.2.7"), "elsa")).isInstanceOf(AuthThrottle.Verdict.Locked.class);
        clock.advance(Duration.ofMinutes(14));
        assertThat(throttle.check(ip, "elsa")).isInstanceOf(AuthThrottle.Verdict.Locked.class);
        clock.advance(Duration.ofMinutes(1));
        assertThat(throttle.check(ip, "elsa")).isInstanceOf(AuthThrottle.Verdict.Allowed.class);
        assertThat(throttle.failed(ip, "elsa")).isZero(); // counting starts again
    }

    @Test
    void anAddressIsLockedOutAfterMoreFailuresThanAnAccount() {
        for (int i = 0; i < 29; i++) throttle.failed(ip, "guess" + i);
        assertThat(throttle.check(ip, "olaf")).isInstanceOf(AuthThrottle.Verdict.Allowed.class);
        throttle.failed(ip, "guess29");
        assertThat(throttle.check(ip, null)).isInstanceOf(AuthThrottle.Verdict.Locked.class);
        assertThat(throttle.check(ip, "olaf")).isInstanceOf(AuthThrottle.Verdict.Locked.class);
    }

    @Test
    void delaysAreCapped() {
        assertThat(throttle.delayFor(9)).isEqualTo(Duration.ofSeconds(30));
        assertThat(throttle.delayFor(50)).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void failuresLeaveTheSlidingWindow() {
        for (int i = 0; i < 5; i++) throttle.failed(ip, "olaf");
        assertThat(throttle.failures(ip, "olaf")).isEqualTo(5);
        clock.advance(Duration.ofMinutes(10));
        throttle.failed(ip, "olaf");
        clock.advance(Duration.ofMinutes(6));
        assertThat(throttle.failures(ip, "olaf")).isEqualTo(1);
        assertThat(throttle.failed(ip, "olaf")).isZero();
    }

    @Test
    void successClearsTheAccountButNotTheAddress() {
        for (int i = 0; i < 5; i++) throttle.failed(ip, "olaf");
        throttle.succeeded(ip, "olaf");
        assertThat(throttle.failures(ip, "olaf")).isZero();
        assertThat(throttle.failures(ip, null)).isEqualTo(5);
    }

    @Test
    void ipv6AddressesCountPerSlash64() throws Exception {
        InetAddress a = InetAddress.getByName("2001:db8:1:2::1");
        InetAddress b = InetAddress.getByName("2001:db8:1:2:ffff::9");
        for (int i = 0; i < 30; i++) throttle.failed(i % 2 == 0 ? a : b, "user" + i);
        assertThat(throttle.check(InetAddress.getByName("2001:db8:1:2::77"), null)).isInstanceOf(AuthThrottle.Verdict.Locked.class);
        assertThat(throttle.check(InetAddress.getByName("2001:db8:1:3::1"), null)).isInstanceOf(AuthThrottle.Verdict.Allowed.class);
    }

    @Test
    void theDelayIsScheduledNotSlept() throws Exception {
        assertThat(throttle.after(Duration.ofHours(1), "much later")).isNotDone();
        assertThat(throttle.after(Duration.ofMillis(50), "late").get(5, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo("late");
        assertThat(throttle.after(Duration.ZERO, "now")).isCompletedWithValue("now");
    }

    @Test
    void limitsComeFromConfiguration() {
        var c = new ConfigStore(null, Map.of("auth", Map.of("failures.before.delay", "1", "lockout.after", "3",
                "lockout.period", "1h", "delay.initial", "500ms"))).get("auth");
        AuthThrottle.Limits l = AuthThrottle.Limits.from(c);
        assertThat(l).isEqualTo(new AuthThrottle.Limits(1, Duration.ofMillis(500), Duration.ofSeconds(30), 3, Duration.ofHours(1), Duration.ofMinutes(15), 9));
        var bad = new ConfigStore(null, Map.of("auth", Map.of("failures.before.delay", "5", "lockout.after", "3"))).get("auth");
        assertThatThrownBy(() -> AuthThrottle.Limits.from(bad)).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("auth.cfg").hasMessageContaining("lockout.after");
    }
}
