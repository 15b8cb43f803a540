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
    final InetAddress other = InetAddress.getByAddress(new byte[] {127, 0, 0, 2});

    AuthThrottleTest() throws Exception { }

    @AfterEach
    void stop() { scheduler.shutdownNow(); }

    @Test
    void delaysGrowAfterTheFirstFailuresThenThePairIsLockedButNotTheAccount() throws Exception {
        assertThat(throttle.failed(ip, "elsa")).isZero();
        assertThat(throttle.failed(ip, "elsa")).isZero();
        assertThat(throttle.failed(ip, "elsa")).isZero();
        assertThat(throttle.failed(ip, "elsa")).isEqualTo(Duration.ofSeconds(1));
        assertThat(throttle.failed(ip, "elsa")).isEqualTo(Duration.ofSeconds(2));
        assertThat(throttle.failed(ip, "elsa")).isEqualTo(Duration.ofSeconds(4));
        for (int i = 7; i < 10; i++) throttle.failed(ip, "elsa");
        assertThat(throttle.check(ip, "elsa")).isInstanceOf(AuthThrottle.Verdict.Allowed.class);
        throttle.failed(ip, "elsa"); // the 10th locks the pair (ip, elsa): not the address (30), not the account (50)
        assertThat(throttle.check(ip, "elsa")).isEqualTo(new AuthThrottle.Verdict.Locked(Duration.ofMinutes(15), "pair:ip:127.0.0.1|user:elsa"));
        assertThat(throttle.check(ip, "ELSA")).as("accounts are case-insensitive").isInstanceOf(AuthThrottle.Verdict.Locked.class);
        assertThat(throttle.check(ip, null)).isInstanceOf(AuthThrottle.Verdict.Allowed.class);
        assertThat(throttle.check(ip, "olaf")).isInstanceOf(AuthThrottle.Verdict.Allowed.class);
        // the real elsa, from anywhere else, is not locked out by the guesser
        assertThat(throttle.check(other, "elsa")).isInstanceOf(AuthThrottle.Verdict.Allowed.class);
        assertThat(throttle.failures(null, "elsa")).isEqualTo(10);
        clock.advance(Duration.ofMinutes(14));
        assertThat(throttle.check(ip, "elsa")).isInstanceOf(AuthThrottle.Verdict.Locked.class);
        clock.advance(Duration.ofMinutes(1));
        assertThat(throttle.check(ip, "elsa")).isInstanceOf(AuthThrottle.Verdict.Allowed.class);
        assertThat(throttle.failures(ip, "elsa")).isZero(); // counting starts again for the pair
    }

    @Test
    void anAddressIsLockedOutAfterFailuresOverManyAccounts() {
        for (int i = 0; i < 29; i++) throttle.failed(ip, "guess" + i);
        assertThat(throttle.check(ip, "olaf")).isInstanceOf(AuthThrottle.Verdict.Allowed.class);
        throttle.failed(ip, "guess29");
        assertThat(throttle.check(ip, null)).isEqualTo(new AuthThrottle.Verdict.Locked(Duration.ofMinutes(15), "ip:127.0.0.1"));
        assertThat(throttle.check(ip, "olaf")).isInstanceOf(AuthThrottle.Verdict.Locked.class);
        assertThat(throttle.check(other, "olaf")).isInstanceOf(AuthThrottle.Verdict.Allowed.class);
    }

    @Test
    void distributedGuessingLocksTheAccountExceptForAddressesThatLoggedIntoIt() throws Exception {
        InetAddress home = InetAddress.getByName("198.51.100.1");
        InetAddress office = InetAddress.getByName("2001:db8:5:6::1");
        throttle.succeeded(office, "elsa");
        clock.advance(Duration.ofDays(2));
        throttle.succeeded(home, "elsa");
        // 50 guessing addresses, one wrong password each: no pair and no address reaches its limit
        for (int i = 0; i < 49; i++) throttle.failed(bot(i), "elsa");
        assertThat(throttle.check(bot(100), "elsa")).isInstanceOf(AuthThrottle.Verdict.Allowed.class);
        throttle.failed(bot(49), "elsa");
        assertThat(throttle.check(bot(100), "elsa")).isEqualTo(new AuthThrottle.Verdict.Locked(Duration.ofMinutes(15), "user:elsa"));
        assertThat(throttle.check(bot(3), "elsa")).isInstanceOf(AuthThrottle.Verdict.Locked.class);
        assertThat(throttle.check(bot(3), "olaf")).as("other accounts are not locked").isInstanceOf(AuthThrottle.Verdict.Allowed.class);
        // the addresses elsa logged in from still get in (IPv6 by /64)
        assertThat(throttle.check(home, "elsa")).isInstanceOf(AuthThrottle.Verdict.Allowed.class);
        assertThat(throttle.check(InetAddress.getByName("2001:db8:5:6:abcd::2"), "elsa")).isInstanceOf(AuthThrottle.Verdict.Allowed.class);
        assertThat(throttle.check(InetAddress.getByName("2001:db8:5:7::1"), "elsa")).isInstanceOf(AuthThrottle.Verdict.Locked.class);
        // a success from a known address neither lifts the lock for the others nor clears the account's count
        throttle.succeeded(home, "elsa");
        assertThat(throttle.check(bot(100), "elsa")).isInstanceOf(AuthThrottle.Verdict.Locked.class);
        // known.period (30 days) after its last success an address is no longer known
        clock.advance(Duration.ofDays(28).plusMinutes(1));
        assertThat(throttle.isKnown(office, "elsa")).isFalse();
        assertThat(throttle.isKnown(home, "elsa")).isTrue();
    }

    @Test
    void aKnownAddressIsStillBoundByItsPairAndAddressLimits() throws Exception {
        throttle.succeeded(ip, "elsa");
        for (int i = 0; i < 50; i++) throttle.failed(bot(i), "elsa");
        assertThat(throttle.check(ip, "elsa")).isInstanceOf(AuthThrottle.Verdict.Allowed.class);
        for (int i = 0; i < 10; i++) throttle.failed(ip, "elsa");
        assertThat(throttle.check(ip, "elsa")).isInstanceOf(AuthThrottle.Verdict.Locked.class);
    }

    @Test
    void knownAddressesAreBoundedPerAccount() throws Exception {
        for (int i = 0; i < 12; i++) {
            throttle.succeeded(bot(i), "elsa");
            clock.advance(Duration.ofSeconds(1));
        }
        throttle.succeeded(bot(0), "elsa"); // refreshed: the most recent again
        assertThat(throttle.isKnown(bot(0), "elsa")).isTrue();
        assertThat(throttle.isKnown(bot(1), "elsa")).isFalse();
        assertThat(throttle.isKnown(bot(2), "elsa")).isFalse();
        for (int i = 3; i < 12; i++) assertThat(throttle.isKnown(bot(i), "elsa")).isTrue();
        assertThat(throttle.isKnown(bot(5), "olaf")).isFalse();
    }

    static InetAddress bot(int i) throws Exception {
        return InetAddress.getByName("203.0.113." + i);
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
    void successClearsThePairButNotTheAddressNorTheAccount() {
        for (int i = 0; i < 5; i++) throttle.failed(ip, "olaf");
        throttle.failed(other, "olaf");
        throttle.succeeded(ip, "olaf");
        assertThat(throttle.failures(ip, "olaf")).isZero();
        assertThat(throttle.failures(ip, null)).isEqualTo(5);
        assertThat(throttle.failures(null, "olaf")).isEqualTo(6);
        assertThat(throttle.failures(other, "olaf")).isEqualTo(1);
        assertThat(throttle.isKnown(ip, "olaf")).isTrue();
        assertThat(throttle.isKnown(other, "olaf")).isFalse();
        assertThat(throttle.failed(ip, "olaf")).as("delayed by the largest count: the account's 7th failure").isEqualTo(Duration.ofSeconds(8));
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
        assertThat(l).isEqualTo(new AuthThrottle.Limits(1, Duration.ofMillis(500), Duration.ofSeconds(30), 3, Duration.ofHours(1), Duration.ofMinutes(15),
                9, 15, Duration.ofDays(30), 10));
        assertThat(AuthThrottle.Limits.from(new ConfigStore(null, Map.of()).get("auth"))).isEqualTo(AuthThrottle.Limits.defaults());
        var set = new ConfigStore(null, Map.of("auth", Map.of("account.lockout.after", "200", "known.period", "7d", "known.max", "3"))).get("auth");
        assertThat(AuthThrottle.Limits.from(set)).isEqualTo(new AuthThrottle.Limits(3, Duration.ofSeconds(1), Duration.ofSeconds(30), 10,
                Duration.ofMinutes(15), Duration.ofMinutes(15), 30, 200, Duration.ofDays(7), 3));
        var small = new ConfigStore(null, Map.of("auth", Map.of("account.lockout.after", "5"))).get("auth");
        assertThatThrownBy(() -> AuthThrottle.Limits.from(small)).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("account.lockout.after");
        var bad = new ConfigStore(null, Map.of("auth", Map.of("failures.before.delay", "5", "lockout.after", "3"))).get("auth");
        assertThatThrownBy(() -> AuthThrottle.Limits.from(bad)).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("auth.cfg").hasMessageContaining("lockout.after");
    }
}
