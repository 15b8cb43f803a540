package io.herald.testkit.dns;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Lookup;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.PTRRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.ReverseMap;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.Type;
import org.xbill.DNS.Cache;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The responder seen through dnsjava's own resolver, on loopback. */
class DnsResponderTest {

    private DnsResponder dns;
    private SimpleResolver resolver;

    @BeforeEach
    void start() {
        dns = DnsResponder.start();
        resolver = dns.resolver();
    }

    @AfterEach
    void stop() {
        dns.close();
    }

    private Message ask(String name, int type) throws IOException {
        return resolver.send(Message.newQuery(Record.newRecord(Name.fromString(name), type, DClass.IN)));
    }

    @Test
    void listensOnLoopbackOnAPortOfItsOwn() {
        assertThat(dns.port()).isPositive();
        assertThat(dns.address().getAddress().isLoopbackAddress()).isTrue();
        assertThat(dns.address().getPort()).isEqualTo(dns.port());
    }

    @Test
    void mxRecordsInPreferenceOrderOfAddition() throws IOException {
        dns.mx("example.org", 10, "mx1.example.org").add("example.org", Type.MX, "20 mx2.example.org.");
        Message answer = ask("example.org.", Type.MX);
        assertThat(answer.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(answer.getHeader().getFlag(Flags.AA)).isTrue();
        assertThat(answer.getSection(Section.ANSWER)).map(r -> (MXRecord) r)
                .extracting(MXRecord::getPriority, r -> r.getTarget().toString())
                .containsExactly(org.assertj.core.groups.Tuple.tuple(10, "mx1.example.org."),
                        org.assertj.core.groups.Tuple.tuple(20, "mx2.example.org."));
    }

    @Test
    void nullMxIsPreferenceZeroAndTheRoot() throws IOException {
        dns.nullMx("nomail.example");
        MXRecord mx = (MXRecord) ask("nomail.example.", Type.MX).getSection(Section.ANSWER).get(0);
        assertThat(mx.getPriority()).isZero();
        assertThat(mx.getTarget()).isEqualTo(Name.root);
        // the same through the zone-file syntax
        dns.clear();
        dns.add("nomail.example", Type.MX, "0 .");
        assertThat(((MXRecord) ask("nomail.example.", Type.MX).getSection(Section.ANSWER).get(0)).getTarget()).isEqualTo(Name.root);
    }

    @Test
    void addressRecords() throws IOException {
        dns.a("mx.example.org", "127.0.0.2").aaaa("mx.example.org", "::1").add("mx.example.org", Type.A, "127.0.0.3");
        assertThat(ask("mx.example.org.", Type.A).getSection(Section.ANSWER)).map(r -> ((ARecord) r).getAddress().getHostAddress())
                .containsExactly("127.0.0.2", "127.0.0.3");
        assertThat(ask("mx.example.org.", Type.AAAA).getSection(Section.ANSWER)).map(Record::rdataToString)
                .containsExactly("0:0:0:0:0:0:0:1");
        assertThatThrownBy(() -> dns.a("x.example", "::1")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> dns.a("x.example", "mx.example.org")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> dns.a("x.example", "999.1.1.1")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> dns.add("x.example", Type.MX, "ten mx.example.")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void txtStaysOneTextWithItsSpacesAndLongOnesAreSplitInto255ByteStrings() throws IOException {
        dns.txt("example.org", "v=spf1 ip4:127.0.0.1 -all");
        dns.add("_dmarc.example.org", Type.TXT, "v=DMARC1; p=reject; rua=mailto:d@example.org");
        dns.add("quoted.example.org", Type.TXT, "\"a b\" \"c\"");
        String key = "v=DKIM1; k=rsa; p=" + "A".repeat(600);
        dns.txt("sel._domainkey.example.org", key);

        assertThat(((TXTRecord) ask("example.org.", Type.TXT).getSection(Section.ANSWER).get(0)).getStrings())
                .containsExactly("v=spf1 ip4:127.0.0.1 -all");
        assertThat(((TXTRecord) ask("_dmarc.example.org.", Type.TXT).getSection(Section.ANSWER).get(0)).getStrings())
                .containsExactly("v=DMARC1; p=reject; rua=mailto:d@example.org");
        assertThat(((TXTRecord) ask("quoted.example.org.", Type.TXT).getSection(Section.ANSWER).get(0)).getStrings())
                .containsExactly("a b", "c");
        List<String> strings = ((TXTRecord) ask("sel._domainkey.example.org.", Type.TXT).getSection(Section.ANSWER).get(0)).getStrings();
        assertThat(strings).hasSize(3).allSatisfy(s -> assertThat(s.length()).isLessThanOrEqualTo(255));
        assertThat(String.join("", strings)).isEqualTo(key);
    }

    @Test
    void ptrForIpv4AndIpv6() throws IOException {
        dns.ptr("127.0.0.1", "mail.example.org").ptr("::1", "six.example.org.");
        Name v4 = ReverseMap.fromAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}));
        assertThat(v4.toString()).isEqualTo("1.0.0.127.in-addr.arpa.");
        assertThat(((PTRRecord) ask(v4.toString(), Type.PTR).getSection(Section.ANSWER).get(0)).getTarget().toString())
                .isEqualTo("mail.example.org.");
        Name v6 = ReverseMap.fromAddress("::1");
        assertThat(((PTRRecord) ask(v6.toString(), Type.PTR).getSection(Section.ANSWER).get(0)).getTarget().toString())
                .isEqualTo("six.example.org.");
    }

    @Test
    void cnameIsChasedToRecordsServedHere() throws IOException {
        dns.cname("www.example.org", "web.example.org").cname("web.example.org", "host.example.org").a("host.example.org", "127.0.0.9");
        List<Record> answer = ask("www.example.org.", Type.A).getSection(Section.ANSWER);
        assertThat(answer).extracting(Record::getType).containsExactly(Type.CNAME, Type.CNAME, Type.A);
        assertThat(answer.get(2).rdataToString()).isEqualTo("127.0.0.9");
        // asked for the CNAME itself: only it
        assertThat(ask("www.example.org.", Type.CNAME).getSection(Section.ANSWER)).singleElement()
                .isInstanceOf(CNAMERecord.class);
        // a loop ends
        dns.cname("loop1.example", "loop2.example").cname("loop2.example", "loop1.example");
        Message loop = ask("loop1.example.", Type.A);
        assertThat(loop.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(loop.getSection(Section.ANSWER)).hasSizeLessThanOrEqualTo(8);
    }

    @Test
    void unknownNameIsNxdomainAndAKnownNameWithOtherTypesIsNodata() throws IOException {
        dns.a("mx.example.org", "127.0.0.1");
        Message nx = ask("nothing.example.org.", Type.A);
        assertThat(nx.getRcode()).isEqualTo(Rcode.NXDOMAIN);
        assertThat(nx.getSection(Section.ANSWER)).isEmpty();

        Message nodata = ask("mx.example.org.", Type.MX);
        assertThat(nodata.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(nodata.getSection(Section.ANSWER)).isEmpty();

        // RFC 8020: an empty non-terminal exists
        Message ent = ask("example.org.", Type.TXT);
        assertThat(ent.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(ent.getSection(Section.ANSWER)).isEmpty();
    }

    @Test
    void namesAreCaseInsensitiveAndTheTrailingDotIsOptional() throws IOException {
        dns.a("MiXeD.Example.ORG.", "127.0.0.5");
        assertThat(ask("mixed.example.org.", Type.A).getSection(Section.ANSWER)).hasSize(1);
        assertThat(ask("MIXED.EXAMPLE.ORG.", Type.A).getSection(Section.ANSWER)).hasSize(1);
    }

    @Test
    void anyReturnsEveryRecordOfTheName() throws IOException {
        dns.a("h.example", "127.0.0.1").txt("h.example", "hello").mx("h.example", 5, "h.example");
        assertThat(ask("h.example.", Type.ANY).getSection(Section.ANSWER)).extracting(Record::getType)
                .containsExactlyInAnyOrder(Type.A, Type.TXT, Type.MX);
    }

    @Test
    void removeAndReplaceTakeEffectAtOnceEvenThroughACachingLookup() throws Exception {
        dns.a("moving.example", "127.0.0.1");
        Lookup first = lookup("moving.example", Type.A);
        assertThat(first.run()).extracting(Record::rdataToString).containsExactly("127.0.0.1");

        dns.replace("moving.example", Type.A, "127.0.0.2");
        assertThat(lookup("moving.example", Type.A).run()).extracting(Record::rdataToString).containsExactly("127.0.0.2");

        dns.remove("moving.example", Type.A);
        Lookup gone = lookup("moving.example", Type.A);
        gone.run();
        assertThat(gone.getResult()).isEqualTo(Lookup.HOST_NOT_FOUND);
        assertThat(dns.records("moving.example")).isEmpty();
    }

    private final Cache cache = new Cache();

    private Lookup lookup(String name, int type) throws IOException {
        Lookup l = new Lookup(name, type);
        l.setResolver(resolver);
        l.setCache(cache); // one cache across the lookups: records must not stick in it (TTL 0)
        l.setSearchPath((Name[]) null);
        return l;
    }

    @Test
    void failuresAndDrops() throws IOException {
        dns.a("flaky.example", "127.0.0.1").fail("flaky.example", Rcode.SERVFAIL);
        assertThat(ask("flaky.example.", Type.A).getRcode()).isEqualTo(Rcode.SERVFAIL);
        dns.remove("flaky.example");
        assertThat(ask("flaky.example.", Type.A).getRcode()).isEqualTo(Rcode.NXDOMAIN);

        dns.drop("slow.example");
        resolver.setTimeout(Duration.ofMillis(300));
        assertThatThrownBy(() -> ask("slow.example.", Type.A)).isInstanceOf(IOException.class).hasMessageContaining("Timed out");
        assertThat(dns.queries("slow.example")).isNotEmpty();
        // the server still answers others
        dns.a("ok.example", "127.0.0.1");
        assertThat(ask("ok.example.", Type.A).getRcode()).isEqualTo(Rcode.NOERROR);
        assertThatThrownBy(() -> dns.fail("x.example", 16)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void largeAnswerIsTruncatedOverUdpAndTheResolverRetriesOverTcp() throws IOException {
        // dnsjava offers an EDNS payload of 1280 bytes: 100 A records (16 bytes each, compressed) do not fit
        for (int i = 1; i <= 100; i++) dns.a("many.example", "127.0.1." + i);
        Message answer = ask("many.example.", Type.A);
        assertThat(answer.getSection(Section.ANSWER)).hasSize(100);
        assertThat(answer.getHeader().getFlag(Flags.TC)).isFalse();
        assertThat(dns.queries("many.example")).extracting(DnsResponder.Query::tcp).containsExactly(false, true);

        // the UDP answer alone carries TC
        SimpleResolver udpOnly = dns.resolver();
        udpOnly.setIgnoreTruncation(true);
        assertThat(udpOnly.send(Message.newQuery(Record.newRecord(Name.fromString("many.example."), Type.A, DClass.IN)))
                .getHeader().getFlag(Flags.TC)).isTrue();
    }

    @Test
    void tcpServesSeveralQueriesAndEveryType() throws IOException {
        dns.mx("example.org", 10, "mx.example.org").txt("example.org", "t");
        resolver.setTCP(true);
        assertThat(ask("example.org.", Type.MX).getSection(Section.ANSWER)).hasSize(1);
        assertThat(ask("example.org.", Type.TXT).getSection(Section.ANSWER)).hasSize(1);
        assertThat(ask("unknown.example.", Type.TXT).getRcode()).isEqualTo(Rcode.NXDOMAIN);
        assertThat(dns.queries()).allMatch(DnsResponder.Query::tcp).hasSize(3);
    }

    @Test
    void malformedQueriesGetFormerrOrNothingAndTheServerGoesOn() throws IOException {
        try (DatagramSocket client = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            client.setSoTimeout(2000);
            // a header claiming one question, then nothing
            byte[] truncated = {0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0x05, 'a'};
            client.send(new DatagramPacket(truncated, truncated.length, dns.address()));
            DatagramPacket reply = new DatagramPacket(new byte[512], 512);
            client.receive(reply);
            Message m = new Message(java.util.Arrays.copyOf(reply.getData(), reply.getLength()));
            assertThat(m.getHeader().getID()).isEqualTo(0x1234);
            assertThat(m.getRcode()).isEqualTo(Rcode.FORMERR);
            // shorter than a header: no answer
            client.send(new DatagramPacket(new byte[] {1, 2, 3}, 3, dns.address()));
            client.setSoTimeout(300);
            assertThatThrownBy(() -> client.receive(new DatagramPacket(new byte[512], 512)))
                    .isInstanceOf(SocketTimeoutException.class);
        }
        // another opcode than QUERY
        Message notify = Message.newQuery(Record.newRecord(Name.fromString("example.org."), Type.SOA, DClass.IN));
        notify.getHeader().setOpcode(Opcode.NOTIFY);
        assertThat(resolver.send(notify).getRcode()).isEqualTo(Rcode.NOTIMP);
        dns.a("still.example", "127.0.0.1");
        assertThat(ask("still.example.", Type.A).getSection(Section.ANSWER)).hasSize(1);
    }

    @Test
    void recordsChangeSafelyWhileQueriesAreAnswered() throws Exception {
        dns.a("stable.example", "127.0.0.1");
        AtomicBoolean stop = new AtomicBoolean();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<Integer> writer = pool.submit(() -> {
                int n = 0;
                while (!stop.get() && n < 2000) {
                    dns.a("churn" + n + ".example", "127.0.0.1");
                    dns.replace("stable.example", Type.A, "127.0.0." + (1 + n % 200));
                    n++;
                }
                return n;
            });
            List<String> seen = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                Message m = ask("stable.example.", Type.A);
                // replace is atomic: always exactly one address, never none or two
                assertThat(m.getRcode()).isEqualTo(Rcode.NOERROR);
                assertThat(m.getSection(Section.ANSWER)).hasSize(1);
                seen.add(m.getSection(Section.ANSWER).get(0).rdataToString());
            }
            stop.set(true);
            assertThat(writer.get()).isPositive();
            assertThat(seen).hasSize(200);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void closeFreesThePortAndIsIdempotent() throws IOException {
        int port = dns.port();
        dns.close();
        dns.close();
        try (ServerSocket again = new ServerSocket(port, 50, InetAddress.getLoopbackAddress())) {
            assertThat(again.getLocalPort()).isEqualTo(port);
        }
        try (DatagramSocket again = new DatagramSocket(port, InetAddress.getLoopbackAddress())) {
            assertThat(again.getLocalPort()).isEqualTo(port);
        }
    }
}
