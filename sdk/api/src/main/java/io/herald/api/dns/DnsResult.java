package io.herald.api.dns;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * The outcome of one {@link DnsResolver} lookup. The three failures are distinct because mail treats them
 * differently: a domain that does not exist is a permanent failure (RFC 5321 §5.1: no MX and no address means the
 * mail cannot be delivered), a name without records of the asked type is an ordinary answer (no MX → use the
 * address records), and a temporary failure (time-out, {@code SERVFAIL}, network trouble) must never be mistaken for
 * either: the caller retries later (or, for a spam check, treats the check as not done).
 *
 * @param <T> the record type: {@link MxRecord}, {@link java.net.InetAddress}, {@link TxtRecord} or a host name
 */
public sealed interface DnsResult<T> {

    /**
     * The name has records of the asked type.
     *
     * @param records never empty; in the order the server answered (the caller sorts MX by preference)
     * @param ttl     the smallest time to live of the records
     */
    record Found<T>(List<T> records, Duration ttl) implements DnsResult<T> {
        public Found {
            records = List.copyOf(records);
            if (records.isEmpty()) throw new IllegalArgumentException("Found needs at least one record; use NoData");
        }
    }

    /** The name does not exist ({@code NXDOMAIN}, RFC 1035 §4.1.1 RCODE 3): permanent. */
    record NoSuchDomain<T>(String name) implements DnsResult<T> { }

    /** The name exists but has no record of the asked type ({@code NOERROR} with an empty answer, RFC 2308 §2.2). */
    record NoData<T>(String name) implements DnsResult<T> { }

    /**
     * The answer could not be had now: the servers did not answer in time, answered {@code SERVFAIL} or
     * {@code REFUSED}, or the network failed. Try again later.
     *
     * @param reason what went wrong, for a log line or an SMTP reply text
     */
    record TemporaryFailure<T>(String name, String reason) implements DnsResult<T> { }

    /** The records when {@link Found}, else an empty list. */
    default List<T> records() {
        return this instanceof Found<T> f ? f.records() : List.of();
    }

    /** True for {@link Found}. */
    default boolean found() {
        return this instanceof Found<T>;
    }

    /** The records when {@link Found}, else empty. */
    default Optional<List<T>> ifFound() {
        return this instanceof Found<T> f ? Optional.of(f.records()) : Optional.empty();
    }

    /** The same outcome with each found record mapped; a failure keeps its kind and name. */
    default <U> DnsResult<U> map(Function<? super T, ? extends U> f) {
        if (this instanceof Found<T> found) {
            return new Found<>(found.records().stream().<U>map(f).toList(), found.ttl());
        }
        if (this instanceof NoSuchDomain<T> n) return new NoSuchDomain<>(n.name());
        if (this instanceof NoData<T> n) return new NoData<>(n.name());
        TemporaryFailure<T> t = (TemporaryFailure<T>) this;
        return new TemporaryFailure<>(t.name(), t.reason());
    }
}
