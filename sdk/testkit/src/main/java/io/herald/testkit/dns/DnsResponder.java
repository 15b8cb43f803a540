package io.herald.testkit.dns;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.Address;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Header;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.PTRRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.ReverseMap;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real authoritative DNS server on loopback for tests: it answers UDP and TCP queries on one port of
 * {@code 127.0.0.1} from the records the test adds, with dnsjava's message classes on the wire.
 *
 * <pre>{@code
 * try (DnsResponder dns = DnsResponder.start()) {
 *     dns.mx("example.org", 10, "mx.example.org.")
 *        .a("mx.example.org", "127.0.0.1")
 *        .txt("example.org", "v=spf1 ip4:127.0.0.1 -all")
 *        .add("_dmarc.example.org", Type.TXT, "v=DMARC1; p=reject");
 *     SimpleResolver resolver = dns.resolver();   // or point your code at dns.address()
 * }
 * }</pre>
 *
 * <h2>Answers</h2>
 * <ul>
 *   <li>A name with records of the asked type: {@code NOERROR}, authoritative ({@code AA}), the records in the
 *       answer section. {@code ANY} returns every record of the name.</li>
 *   <li>A name with a {@code CNAME} asked for another type: the {@code CNAME}, then (chased up to 8 links) the
 *       target's records of that type when the target is also served here (RFC 1034 §3.6.2).</li>
 *   <li>A name that exists with other types only, or that has no records but names below it (an "empty
 *       non-terminal", RFC 8020): {@code NOERROR} with an empty answer section (NODATA).</li>
 *   <li>Any other name: {@code NXDOMAIN}.</li>
 *   <li>A name given a failure with {@link #fail(String, int)}: that response code (e.g. {@code SERVFAIL} to test a
 *       temporary DNS error); a name given {@link #drop(String)}: no answer at all (the client times out).</li>
 *   <li>Other opcodes than QUERY: {@code NOTIMP}; a query that does not parse: {@code FORMERR} when its header can be
 *       read, else nothing; class other than IN: {@code REFUSED}.</li>
 *   <li>A UDP answer larger than 512 bytes (or the EDNS payload size the query offers) is truncated with
 *       {@code TC}, so that a resolver retries over TCP on the same port.</li>
 * </ul>
 * Names are case-insensitive and may be given with or without the trailing dot. Records get a TTL of 0 unless one
 * is given, so that resolvers with a cache (dnsjava's {@code Lookup}) see a change at once.
 *
 * <h2>Threading</h2>
 * All methods are thread-safe. Records may be added, replaced and removed while the server is answering; each query
 * is answered from one consistent snapshot of the records. One thread serves UDP, one accepts TCP connections and
 * one thread per open TCP connection serves it; all are daemon threads and stop in {@link #close()}.
 */
public final class DnsResponder implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(DnsResponder.class);

    /** RFC 1035 §4.2.1: the UDP payload limit without EDNS. */
    private static final int UDP_LIMIT = 512;
    /** RFC 1034 §3.6.2 does not bound CNAME chains; resolvers give up after a few. */
    private static final int MAX_CNAME_CHAIN = 8;
    private static final int BIND_ATTEMPTS = 20;

    /** One snapshot of everything served: replaced as a whole on every change (copy on write). */
    private record Zone(Map<Name, List<Record>> records, Map<Name, Integer> failures, Set<Name> dropped) {
        static final Zone EMPTY = new Zone(Map.of(), Map.of(), Set.of());
    }

    /** One question received, in the order they arrived. */
    public record Query(Name name, int type, boolean tcp) {
        @Override public String toString() {
            return name + " " + Type.string(type) + (tcp ? " (tcp)" : "");
        }
    }

    private final Object writeLock = new Object();
    private volatile Zone zone = Zone.EMPTY;
    private final List<Query> queries = new CopyOnWriteArrayList<>();
    private final DatagramSocket udp;
    private final ServerSocket tcp;
    private final Thread udpThread;
    private final Thread tcpThread;
    private final Set<Socket> connections = Collections.synchronizedSet(new LinkedHashSet<>());
    private final AtomicInteger connectionCount = new AtomicInteger();
    private volatile boolean closed;

    private DnsResponder(DatagramSocket udp, ServerSocket tcp) {
        this.udp = udp;
        this.tcp = tcp;
        int port = udp.getLocalPort();
        this.udpThread = new Thread(this::serveUdp, "dns-responder-udp-" + port);
        this.tcpThread = new Thread(this::acceptTcp, "dns-responder-tcp-" + port);
        udpThread.setDaemon(true);
        tcpThread.setDaemon(true);
    }

    /** Starts a responder on a free port of 127.0.0.1, UDP and TCP on the same port number. */
    public static DnsResponder start() {
        InetAddress loopback = InetAddress.getLoopbackAddress();
        IOException last = null;
        for (int attempt = 0; attempt < BIND_ATTEMPTS; attempt++) {
            DatagramSocket udp = null;
            try {
                udp = new DatagramSocket(new InetSocketAddress(loopback, 0));
                ServerSocket tcp = new ServerSocket();
                try {
                    tcp.setReuseAddress(false);
                    tcp.bind(new InetSocketAddress(loopback, udp.getLocalPort()), 50);
                } catch (IOException portTakenForTcp) {
                    tcp.close();
                    throw portTakenForTcp;
                }
                DnsResponder responder = new DnsResponder(udp, tcp);
                responder.udpThread.start();
                responder.tcpThread.start();
                log.debug("DNS responder on {}", responder.address());
                return responder;
            } catch (IOException e) {
                // The free UDP port was taken for TCP by someone else: try another one.
                last = e;
                if (udp != null) udp.close();
            }
        }
        throw new UncheckedIOException("no free loopback port for UDP and TCP after " + BIND_ATTEMPTS + " attempts", last);
    }

    /** The port, the same for UDP and TCP. */
    public int port() {
        return udp.getLocalPort();
    }

    /** Where to send queries: {@code 127.0.0.1:port()}. */
    public InetSocketAddress address() {
        return new InetSocketAddress(udp.getLocalAddress(), udp.getLocalPort());
    }

    /** A dnsjava resolver that asks this responder (UDP, TCP on truncation), with a 2 s timeout. */
    public SimpleResolver resolver() {
        SimpleResolver resolver = new SimpleResolver(address());
        resolver.setTimeout(Duration.ofSeconds(2));
        return resolver;
    }

    // ------------------------------------------------------------------------------------------------------------
    // Records

    /**
     * Adds one record in zone-file syntax for its data, TTL 0: {@code add("example.org", Type.MX, "10 mx.example.org.")},
     * {@code add("example.org", Type.A, "192.0.2.1")}. Relative names in the data are relative to the root. For TXT,
     * data that does not start with a quote is taken as one literal text (so {@code "v=spf1 -all"} stays one string,
     * split in 255-byte strings only when longer); quoted data is parsed as zone-file character strings.
     *
     * @throws IllegalArgumentException if the name or the data does not parse for that type
     */
    public DnsResponder add(String name, int type, String data) {
        return add(name, type, 0, data);
    }

    /** {@link #add(String, int, String)} with a TTL in seconds. */
    public DnsResponder add(String name, int type, long ttl, String data) {
        return add(parse(name, type, ttl, data));
    }

    private static Record parse(String name, int type, long ttl, String data) {
        Name owner = name(name);
        if (type == Type.TXT && !data.startsWith("\"")) return txtRecord(owner, ttl, data);
        try {
            return Record.fromString(owner, type, DClass.IN, ttl, data, Name.root);
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("bad " + Type.string(type) + " data for " + owner + ": " + data, e);
        }
    }

    /** Adds records built with dnsjava; any type, any class. */
    public DnsResponder add(Record... records) {
        synchronized (writeLock) {
            Map<Name, List<Record>> next = copy(zone.records);
            for (Record r : records) {
                List<Record> set = next.computeIfAbsent(r.getName(), n -> new ArrayList<>());
                if (!set.contains(r)) set.add(r);
            }
            publish(next, zone.failures, zone.dropped);
        }
        return this;
    }

    /** {@code domain MX preference host}; {@code host} may be given with or without the trailing dot. */
    public DnsResponder mx(String domain, int preference, String host) {
        return add(new MXRecord(name(domain), DClass.IN, 0, preference, name(host)));
    }

    /** The null MX of RFC 7505: {@code domain MX 0 .}, "this domain accepts no mail". */
    public DnsResponder nullMx(String domain) {
        return add(new MXRecord(name(domain), DClass.IN, 0, 0, Name.root));
    }

    /** {@code name A ip}: an IPv4 literal. */
    public DnsResponder a(String name, String ip) {
        InetAddress address = literal(ip);
        if (!(address instanceof Inet4Address)) throw new IllegalArgumentException("not an IPv4 address: " + ip);
        return add(new ARecord(name(name), DClass.IN, 0, address));
    }

    /** {@code name AAAA ip}: an IPv6 literal. */
    public DnsResponder aaaa(String name, String ip) {
        InetAddress address = literal(ip);
        if (!(address instanceof Inet6Address)) throw new IllegalArgumentException("not an IPv6 address: " + ip);
        return add(new AAAARecord(name(name), DClass.IN, 0, address));
    }

    /**
     * {@code name TXT text}: one text (an SPF policy, a DKIM key, a DMARC record), split into 255-byte character
     * strings when longer (RFC 7208 §3.3 and RFC 6376 §3.6.2.2: a reader concatenates them).
     */
    public DnsResponder txt(String name, String text) {
        return add(txtRecord(name(name), 0, text));
    }

    /** The reverse record of an IPv4 or IPv6 literal: {@code 1.0.0.127.in-addr.arpa PTR host}. */
    public DnsResponder ptr(String ip, String host) {
        return add(new PTRRecord(ReverseMap.fromAddress(literal(ip)), DClass.IN, 0, name(host)));
    }

    /** {@code alias CNAME target}. */
    public DnsResponder cname(String alias, String target) {
        return add(new CNAMERecord(name(alias), DClass.IN, 0, name(target)));
    }

    /** Removes the records of one type at a name (the name stays if it has others). */
    public DnsResponder remove(String name, int type) {
        Name owner = name(name);
        synchronized (writeLock) {
            Map<Name, List<Record>> next = copy(zone.records);
            List<Record> set = next.get(owner);
            if (set != null) {
                set.removeIf(r -> r.getType() == type);
                if (set.isEmpty()) next.remove(owner);
            }
            publish(next, zone.failures, zone.dropped);
        }
        return this;
    }

    /** Removes every record, failure and drop at a name: it answers NXDOMAIN from now on (unless names below it exist). */
    public DnsResponder remove(String name) {
        Name owner = name(name);
        synchronized (writeLock) {
            Map<Name, List<Record>> next = copy(zone.records);
            next.remove(owner);
            Map<Name, Integer> failures = new HashMap<>(zone.failures);
            failures.remove(owner);
            Set<Name> dropped = new LinkedHashSet<>(zone.dropped);
            dropped.remove(owner);
            publish(next, failures, dropped);
        }
        return this;
    }

    /** Replaces the records of one type at a name by one new record (zone-file data as in {@link #add(String, int, String)}). */
    public DnsResponder replace(String name, int type, String data) {
        Record record = parse(name, type, 0, data);
        synchronized (writeLock) {
            Map<Name, List<Record>> next = copy(zone.records);
            List<Record> set = next.computeIfAbsent(record.getName(), n -> new ArrayList<>());
            set.removeIf(r -> r.getType() == type);
            set.add(record);
            publish(next, zone.failures, zone.dropped);
        }
        return this;
    }

    /**
     * Answers every query for {@code name} (any type) with {@code rcode} and no records, e.g. {@link Rcode#SERVFAIL}
     * for a temporary failure or {@link Rcode#REFUSED}. {@link #remove(String)} undoes it.
     */
    public DnsResponder fail(String name, int rcode) {
        if (rcode < 0 || rcode > 15) throw new IllegalArgumentException("not a header rcode: " + rcode);
        Name owner = name(name);
        synchronized (writeLock) {
            Map<Name, Integer> failures = new HashMap<>(zone.failures);
            failures.put(owner, rcode);
            publish(zone.records, failures, zone.dropped);
        }
        return this;
    }

    /** Never answers queries for {@code name}: the client times out. {@link #remove(String)} undoes it. */
    public DnsResponder drop(String name) {
        Name owner = name(name);
        synchronized (writeLock) {
            Set<Name> dropped = new LinkedHashSet<>(zone.dropped);
            dropped.add(owner);
            publish(zone.records, zone.failures, dropped);
        }
        return this;
    }

    /** Removes everything served, failures and drops included; the query log stays. */
    public DnsResponder clear() {
        synchronized (writeLock) {
            zone = Zone.EMPTY;
        }
        return this;
    }

    /** The records served at a name now (all types), for assertions and debugging. */
    public List<Record> records(String name) {
        return List.copyOf(zone.records.getOrDefault(name(name), List.of()));
    }

    /** Every question received so far, in arrival order (including those dropped or failed). */
    public List<Query> queries() {
        return List.copyOf(queries);
    }

    /** The questions received so far for one name (any type). */
    public List<Query> queries(String name) {
        Name owner = name(name);
        return queries.stream().filter(q -> q.name.equals(owner)).toList();
    }

    /** Forgets the questions received so far. */
    public void clearQueries() {
        queries.clear();
    }

    /** Stops answering and frees the port; waits for the server threads. Idempotent. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        udp.close();
        try {
            tcp.close();
        } catch (IOException e) {
            log.debug("closing the TCP listener", e);
        }
        synchronized (connections) {
            for (Socket s : connections) {
                try {
                    s.close();
                } catch (IOException e) {
                    log.debug("closing a TCP connection", e);
                }
            }
        }
        join(udpThread);
        join(tcpThread);
    }

    @Override
    public String toString() {
        return "DnsResponder[" + address() + ", " + zone.records.size() + " names]";
    }

    // ------------------------------------------------------------------------------------------------------------
    // Answering

    /** Builds the response to one query; null means "send nothing". Package-private for tests of odd input. */
    byte[] respond(byte[] wire, boolean overTcp) {
        Message query;
        try {
            query = new Message(wire);
        } catch (IOException notADnsMessage) {
            if (wire.length < Header.LENGTH) return null;
            try {
                Header header = new Header(java.util.Arrays.copyOf(wire, Header.LENGTH));
                if (header.getFlag(Flags.QR)) return null; // never answer a response
                Message error = new Message(header.getID());
                error.getHeader().setFlag(Flags.QR);
                error.getHeader().setOpcode(header.getOpcode());
                error.getHeader().setRcode(Rcode.FORMERR);
                return error.toWire();
            } catch (IOException unreadable) {
                return null;
            }
        }
        Header qh = query.getHeader();
        if (qh.getFlag(Flags.QR)) return null;
        Message response = new Message(qh.getID());
        Header rh = response.getHeader();
        rh.setFlag(Flags.QR);
        rh.setOpcode(qh.getOpcode());
        if (qh.getFlag(Flags.RD)) rh.setFlag(Flags.RD);
        Record question = query.getQuestion();
        if (question != null) response.addRecord(question, Section.QUESTION);
        OPTRecord opt = query.getOPT();
        int limit = overTcp ? Message.MAXLENGTH : opt == null ? UDP_LIMIT : Math.max(UDP_LIMIT, opt.getPayloadSize());
        if (opt != null) response.addRecord(new OPTRecord(Math.max(UDP_LIMIT, 4096), 0, 0), Section.ADDITIONAL);

        if (qh.getOpcode() != Opcode.QUERY) {
            rh.setRcode(Rcode.NOTIMP);
            return response.toWire(limit);
        }
        if (question == null || qh.getCount(Section.QUESTION) != 1) {
            rh.setRcode(Rcode.FORMERR);
            return response.toWire(limit);
        }
        queries.add(new Query(question.getName(), question.getType(), overTcp));
        Zone z = zone;
        Name qname = question.getName();
        if (z.dropped.contains(qname)) return null;
        Integer failure = z.failures.get(qname);
        if (failure != null) {
            rh.setRcode(failure);
            return response.toWire(limit);
        }
        if (question.getDClass() != DClass.IN && question.getDClass() != DClass.ANY) {
            rh.setRcode(Rcode.REFUSED);
            return response.toWire(limit);
        }
        rh.setFlag(Flags.AA);
        answer(z, qname, question.getType(), response, 0);
        return response.toWire(limit);
    }

    private static void answer(Zone z, Name name, int type, Message response, int depth) {
        List<Record> set = z.records.get(name);
        if (set == null) {
            // The first name of a chain decides the rcode (RFC 6604 §2.1 keeps NXDOMAIN for a dangling last link too,
            // but resolvers only need the CNAME and an empty answer there).
            if (depth == 0 && !hasDescendant(z, name)) response.getHeader().setRcode(Rcode.NXDOMAIN);
            return;
        }
        boolean found = false;
        for (Record r : set) {
            if (type == Type.ANY || r.getType() == type) {
                response.addRecord(r, Section.ANSWER);
                found = true;
            }
        }
        if (found || type == Type.CNAME || type == Type.ANY) return;
        for (Record r : set) {
            if (r instanceof CNAMERecord cname) {
                response.addRecord(cname, Section.ANSWER);
                if (depth + 1 < MAX_CNAME_CHAIN) answer(z, cname.getTarget(), type, response, depth + 1);
                return;
            }
        }
    }

    /** RFC 8020: a name with names below it exists, even without records of its own. */
    private static boolean hasDescendant(Zone z, Name name) {
        for (Name n : z.records.keySet()) {
            if (n.subdomain(name) && !n.equals(name)) return true;
        }
        return false;
    }

    private void serveUdp() {
        byte[] buffer = new byte[Message.MAXLENGTH];
        while (!closed) {
            DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
            try {
                udp.receive(packet);
            } catch (IOException e) {
                if (!closed) log.warn("DNS responder: UDP receive failed", e);
                continue;
            }
            byte[] wire = java.util.Arrays.copyOfRange(packet.getData(), packet.getOffset(), packet.getOffset() + packet.getLength());
            try {
                byte[] reply = respond(wire, false);
                if (reply != null) udp.send(new DatagramPacket(reply, reply.length, packet.getSocketAddress()));
            } catch (IOException | RuntimeException e) {
                if (!closed) log.warn("DNS responder: answering {} failed", packet.getSocketAddress(), e);
            }
        }
    }

    private void acceptTcp() {
        while (!closed) {
            Socket socket;
            try {
                socket = tcp.accept();
            } catch (IOException e) {
                if (!closed) log.warn("DNS responder: TCP accept failed", e);
                continue;
            }
            connections.add(socket);
            Thread t = new Thread(() -> serveTcp(socket), "dns-responder-tcp-conn-" + connectionCount.incrementAndGet());
            t.setDaemon(true);
            t.start();
        }
    }

    /** RFC 1035 §4.2.2 / RFC 7766: each message prefixed with its two-byte length; several per connection. */
    private void serveTcp(Socket socket) {
        try (socket) {
            socket.setSoTimeout(30_000);
            InputStream raw = socket.getInputStream();
            DataInputStream in = new DataInputStream(raw);
            DataOutputStream out = new DataOutputStream(socket.getOutputStream());
            while (!closed) {
                int length;
                try {
                    length = in.readUnsignedShort();
                } catch (EOFException endOfQueries) {
                    return;
                }
                byte[] wire = new byte[length];
                in.readFully(wire);
                byte[] reply = respond(wire, true);
                if (reply == null) continue;
                out.writeShort(reply.length);
                out.write(reply);
                out.flush();
            }
        } catch (SocketException e) {
            if (!closed) log.debug("DNS responder: TCP connection ended", e);
        } catch (IOException | RuntimeException e) {
            if (!closed) log.warn("DNS responder: TCP connection failed", e);
        } finally {
            connections.remove(socket);
        }
    }

    // ------------------------------------------------------------------------------------------------------------

    private void publish(Map<Name, List<Record>> records, Map<Name, Integer> failures, Set<Name> dropped) {
        Map<Name, List<Record>> frozen = new HashMap<>();
        records.forEach((n, rs) -> frozen.put(n, List.copyOf(rs)));
        zone = new Zone(Map.copyOf(frozen), Map.copyOf(failures), Set.copyOf(dropped));
    }

    private static Map<Name, List<Record>> copy(Map<Name, List<Record>> records) {
        Map<Name, List<Record>> copy = new HashMap<>();
        records.forEach((n, rs) -> copy.put(n, new ArrayList<>(rs)));
        return copy;
    }

    private static TXTRecord txtRecord(Name owner, long ttl, String text) {
        byte[] bytes = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        if (bytes.length <= 255) return new TXTRecord(owner, DClass.IN, ttl, text);
        List<String> strings = new ArrayList<>();
        // Split on character boundaries so no UTF-8 sequence is cut; SPF and DKIM texts are ASCII anyway.
        StringBuilder current = new StringBuilder();
        int currentBytes = 0;
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            int n = new String(Character.toChars(cp)).getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
            if (currentBytes + n > 255) {
                strings.add(current.toString());
                current.setLength(0);
                currentBytes = 0;
            }
            current.appendCodePoint(cp);
            currentBytes += n;
            i += Character.charCount(cp);
        }
        if (current.length() > 0) strings.add(current.toString());
        return new TXTRecord(owner, DClass.IN, ttl, strings);
    }

    /** A DNS name from text, absolute (a missing trailing dot is added). */
    static Name name(String text) {
        try {
            return Name.fromString(text.endsWith(".") ? text : text + ".");
        } catch (TextParseException e) {
            throw new IllegalArgumentException("not a DNS name: " + text, e);
        }
    }

    private static InetAddress literal(String ip) {
        // Only literals, never a lookup (InetAddress.getByName would resolve a host name).
        byte[] bytes = Address.toByteArray(ip, ip.indexOf(':') >= 0 ? Address.IPv6 : Address.IPv4);
        if (bytes == null) throw new IllegalArgumentException("not an IP literal: " + ip);
        try {
            return InetAddress.getByAddress(bytes);
        } catch (IOException e) {
            throw new IllegalArgumentException("not an IP literal: " + ip, e);
        }
    }

    private static void join(Thread t) {
        try {
            t.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
