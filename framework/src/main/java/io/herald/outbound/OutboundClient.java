package io.herald.outbound;

import io.herald.api.dns.DnsResolver;
import io.herald.api.mail.Envelope;
import io.herald.api.mail.MailAddress;
import io.herald.api.mail.MessageContent;
import io.herald.api.routing.Route;
import io.herald.tls.TlsContextProvider;
import org.apache.mina.transport.socket.nio.NioSocketConnector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The outbound SMTP client (RFC 5321) that relays queued messages to the next hop of a {@link Route.Relay}.
 *
 * <p>For one message and the recipients that share a next hop it: resolves the route's hosts in order
 * ({@link NextHop}); takes an idle connection to the first reachable address from the {@link ConnectionPool} or opens
 * one (greeting, EHLO with a HELO fallback, STARTTLS when offered or required, AUTH PLAIN/LOGIN when the route has
 * credentials), and runs one transaction per {@code maxRecipientsPerTransaction} recipients: MAIL with SIZE,
 * BODY=8BITMIME and SMTPUTF8 as the next hop supports and the message needs, the RCPTs, DATA; pipelined
 * (RFC 2920) when the server offers PIPELINING. Every recipient ends with a {@link Result}: delivered (2xx after the
 * data), deferred (4xx, or the connection failed) or failed (5xx).
 *
 * <p>A connection failure, a 4xx or 5xx greeting, a failed EHLO/HELO or a failed (required) STARTTLS moves on to the
 * next address, then the next host (RFC 5321 §5.1). Once a transaction began on a server, its replies are final for
 * this attempt. Threading: thread-safe; {@link #deliver} blocks the calling (delivery) thread for the exchange, within
 * the time limits of {@link OutboundSettings}.
 */
public final class OutboundClient implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(OutboundClient.class);

    // reply codes this client acts on (RFC 5321 §4.2.2)
    static final int SERVICE_READY = 220;
    static final int AUTH_SUCCEEDED = 235;
    static final int OK = 250;
    static final int AUTH_CONTINUE = 334;
    static final int START_MAIL_INPUT = 354;

    /** What became of one recipient. */
    public enum Kind { DELIVERED, DEFERRED, FAILED }

    /**
     * @param recipient the recipient
     * @param kind      delivered, deferred or failed
     * @param reply     the reply that decided, on one line; with {@code (remote: host[address]:port)} when it came
     *                  from a server
     * @param remoteHost the next hop's host as the route named it, when a server answered
     */
    public record Result(MailAddress recipient, Kind kind, String reply, Optional<String> remoteHost) { }

    private final OutboundSettings settings;
    private final DnsResolver dns;
    private final NioSocketConnector connector;
    private final ConnectionPool pool;
    private final SSLContext tlsContext;
    private final String[] protocols = TlsContextProvider.PROTOCOLS.toArray(String[]::new);
    private final AtomicLong transactions = new AtomicLong();
    private final AtomicLong connections = new AtomicLong();

    public OutboundClient(OutboundSettings settings, DnsResolver dns) {
        this.settings = settings;
        this.dns = dns;
        this.connector = new NioSocketConnector();
        connector.setHandler(SmtpConnection.handler());
        connector.setConnectTimeoutMillis(settings.connectTimeout().toMillis());
        connector.getSessionConfig().setTcpNoDelay(true);
        this.pool = new ConnectionPool(settings.maxConnectionsPerDestination(), settings.idleTime(),
                settings.maxTransactionsPerConnection());
        this.tlsContext = opportunisticContext();
    }

    public OutboundSettings settings() { return settings; }

    /** Transactions run and connections opened since start (for logs and benchmarks). */
    public long transactions() { return transactions.get(); }

    public long connectionsOpened() { return connections.get(); }

    /**
     * Relays one message to the route's next hop for these recipients.
     *
     * @param envelope   the queued envelope: its reverse-path and MAIL parameters (BODY, SMTPUTF8) are used
     * @param recipients the recipients that share this route, in envelope order
     * @param message    what to send after DATA (the hooks' header fields and the bytes as received)
     * @return one result per recipient, in the same order
     */
    public List<Result> deliver(Route.Relay route, Envelope envelope, List<MailAddress> recipients, MessageContent message) {
        Map<MailAddress, Result> results = new LinkedHashMap<>();
        if (route.hosts().isEmpty()) {
            return all(recipients, Kind.DEFERRED, "451 4.4.4 no next hop for this route", Optional.empty());
        }
        String lastFailure = null;
        boolean lastPermanent = false;
        boolean anyTemporary = false;
        for (String entry : route.hosts()) {
            NextHop hop;
            try {
                hop = NextHop.parse(entry);
            } catch (IllegalArgumentException e) {
                lastFailure = "451 4.4.4 bad next hop in route: " + e.getMessage();
                anyTemporary = true;
                continue;
            }
            int port = route.port() != 0 ? route.port() : settings.port();
            NextHop.Addresses addresses = hop.resolve(dns, port);
            if (addresses instanceof NextHop.Addresses.Temporary t) {
                lastFailure = "451 4.4.3 DNS lookup failed: " + t.why();
                anyTemporary = true;
                continue;
            }
            if (addresses instanceof NextHop.Addresses.None none) {
                lastFailure = "550 5.4.4 unable to route: " + none.why();
                lastPermanent = true;
                continue;
            }
            for (InetSocketAddress address : ((NextHop.Addresses.Found) addresses).addresses()) {
                Attempt attempt = tryAddress(route, hop, address, envelope, recipients, message);
                if (attempt.results != null) return attempt.results;
                lastFailure = attempt.failure.oneLineWithRemote;
                lastPermanent = attempt.failure.permanent;
                if (!attempt.failure.permanent) anyTemporary = true;
            }
        }
        // RFC 5321 §5.1: no host took the message. A permanent answer only when every host answered permanently.
        boolean permanent = lastPermanent && !anyTemporary;
        return all(recipients, permanent ? Kind.FAILED : Kind.DEFERRED,
                lastFailure == null ? "451 4.4.1 no next hop could be reached" : lastFailure, Optional.empty());
    }

    private record Failure(String oneLineWithRemote, boolean permanent) { }

    private record Attempt(List<Result> results, Failure failure) { }

    private Attempt tryAddress(Route.Relay route, NextHop hop, InetSocketAddress address, Envelope envelope,
                               List<MailAddress> recipients, MessageContent message) {
        String key = ConnectionPool.key(address, route);
        ConnectionPool.Lease lease;
        try {
            lease = pool.acquire(key, address, settings.connectTimeout());
        } catch (IOException e) {
            return new Attempt(null, new Failure("451 4.4.5 " + e.getMessage(), false));
        }
        OpenConnection c = (OpenConnection) lease.connection();
        boolean reusable = false;
        try {
            if (c == null) {
                c = open(route, hop, address);
                if (c.failure != null) return new Attempt(null, c.failure);
            }
            List<Result> out = new ArrayList<>(recipients.size());
            for (int from = 0; from < recipients.size(); from += settings.maxRecipients()) {
                List<MailAddress> chunk = recipients.subList(from, Math.min(recipients.size(), from + settings.maxRecipients()));
                if (c.smtp.broken()) {
                    // the previous transaction broke the connection: open a new one for the rest
                    c.smtp.close();
                    c = open(route, hop, address);
                    if (c.failure != null) {
                        for (MailAddress r : chunk) out.add(new Result(r, c.failure.permanent ? Kind.FAILED : Kind.DEFERRED,
                                c.failure.oneLineWithRemote, Optional.of(hop.host())));
                        continue;
                    }
                }
                out.addAll(transaction(c, hop, envelope, chunk, message));
                c.transactions++;
            }
            reusable = !c.smtp.broken();
            return new Attempt(out, null);
        } finally {
            lease.release(c != null && c.smtp != null ? c : null, reusable);
        }
    }

    /** An open connection and what the server said it can do. */
    final class OpenConnection implements ConnectionPool.Pooled {
        SmtpConnection smtp;
        Failure failure;
        boolean esmtp;
        final Map<String, String> extensions = new LinkedHashMap<>();
        int transactions;

        @Override public int transactions() { return transactions; }

        @Override public boolean usable() { return smtp != null && !smtp.broken(); }

        @Override public void close() { if (smtp != null) smtp.quit(); }

        boolean has(String keyword) { return extensions.containsKey(keyword); }
    }

    /** Connects, greets, negotiates TLS and AUTH. A failure is returned in {@code failure}, the connection closed. */
    private OpenConnection open(Route.Relay route, NextHop hop, InetSocketAddress address) {
        OpenConnection c = new OpenConnection();
        String remote = " (remote: " + hop.host() + "[" + address.getAddress().getHostAddress() + "]:" + address.getPort() + ")";
        try {
            c.smtp = SmtpConnection.connect(connector, address, settings.bind(), settings.connectTimeout());
            connections.incrementAndGet();
        } catch (IOException e) {
            c.failure = new Failure("451 4.4.1 cannot connect: " + e.getMessage() + remote, false);
            return c;
        }
        try {
            Reply greeting = c.smtp.read(settings.greetingTimeout());
            if (greeting.code() != SERVICE_READY) return fail(c, greeting, remote, "greeting");
            Reply ehlo = ehlo(c);
            if (!ehlo.positive()) return fail(c, ehlo, remote, "EHLO/HELO");
            if (!c.smtp.tls() && c.has("STARTTLS")) {
                c.smtp.send("STARTTLS");
                Reply r = c.smtp.read(settings.commandTimeout());
                if (r.code() == SERVICE_READY) {
                    c.smtp.startTls(tlsContext, protocols, settings.commandTimeout());
                    // RFC 3207 §4.2: forget what the server said before TLS, ask again
                    Reply again = ehlo(c);
                    if (!again.positive()) return fail(c, again, remote, "EHLO after STARTTLS");
                } else if (route.requiresTls()) {
                    return fail(c, r, remote, "STARTTLS");
                }
            }
            if (route.requiresTls() && !c.smtp.tls()) {
                c.smtp.quit();
                c.failure = new Failure("451 4.7.5 TLS is required for this route but the server does not offer STARTTLS" + remote, false);
                return c;
            }
            if (route.credentials().isPresent()) {
                Failure f = authenticate(c, route.credentials().get(), remote);
                if (f != null) {
                    c.smtp.quit();
                    c.failure = f;
                    return c;
                }
            }
            return c;
        } catch (IOException e) {
            c.smtp.close();
            c.failure = new Failure("451 4.4.2 " + e.getMessage() + remote, false);
            return c;
        }
    }

    private OpenConnection fail(OpenConnection c, Reply r, String remote, String stage) {
        c.smtp.quit();
        // a 5xx greeting or EHLO from one host is not final for the route: the next host may take the mail
        c.failure = new Failure(r.oneLine() + " (" + stage + ")" + remote, r.permanentFailure());
        return c;
    }

    /** EHLO, or HELO when the server does not know EHLO (RFC 5321 §3.2). */
    private Reply ehlo(OpenConnection c) throws IOException {
        c.smtp.send("EHLO " + settings.heloName());
        Reply r = c.smtp.read(settings.commandTimeout());
        c.extensions.clear();
        if (r.positive()) {
            c.esmtp = true;
            for (int i = 1; i < r.lines().size(); i++) {
                String line = r.lines().get(i).trim();
                int sp = line.indexOf(' ');
                String keyword = (sp < 0 ? line : line.substring(0, sp)).toUpperCase(Locale.ROOT);
                c.extensions.put(keyword, sp < 0 ? "" : line.substring(sp + 1).trim());
            }
            return r;
        }
        if (r.transientFailure() && r.code() != 421) return r;
        if (r.code() == 421) return r;
        c.smtp.send("HELO " + settings.heloName());
        Reply helo = c.smtp.read(settings.commandTimeout());
        c.esmtp = false;
        return helo;
    }

    /** AUTH PLAIN (RFC 4616) or LOGIN, whichever the server offers; only over TLS. */
    private Failure authenticate(OpenConnection c, Route.Credentials creds, String remote) throws IOException {
        List<String> mechanisms = List.of(c.extensions.getOrDefault("AUTH", "").toUpperCase(Locale.ROOT).split(" +"));
        Base64.Encoder b64 = Base64.getEncoder();
        Reply r;
        if (mechanisms.contains("PLAIN")) {
            String ir = b64.encodeToString(("\0" + creds.username() + "\0" + creds.password()).getBytes(StandardCharsets.UTF_8));
            c.smtp.send("AUTH PLAIN " + ir);
            r = c.smtp.read(settings.commandTimeout());
        } else if (mechanisms.contains("LOGIN")) {
            c.smtp.send("AUTH LOGIN");
            r = c.smtp.read(settings.commandTimeout());
            if (r.code() == AUTH_CONTINUE) {
                c.smtp.send(b64.encodeToString(creds.username().getBytes(StandardCharsets.UTF_8)));
                r = c.smtp.read(settings.commandTimeout());
            }
            if (r.code() == AUTH_CONTINUE) {
                c.smtp.send(b64.encodeToString(creds.password().getBytes(StandardCharsets.UTF_8)));
                r = c.smtp.read(settings.commandTimeout());
            }
        } else {
            return new Failure("451 4.7.8 the server offers no AUTH mechanism this client has (PLAIN, LOGIN): "
                    + c.extensions.getOrDefault("AUTH", "none") + remote, false);
        }
        if (r.code() == AUTH_SUCCEEDED) return null;
        // a refused login is an operator's problem to fix: keep the mail (deferred), as Postfix's soft bounce does
        return new Failure("451 4.7.8 authentication as " + creds.username() + " failed: " + r.oneLine() + remote, false);
    }

    /** One mail transaction on an open connection. */
    private List<Result> transaction(OpenConnection c, NextHop hop, Envelope envelope, List<MailAddress> recipients,
                                     MessageContent message) {
        String remote = " (remote: " + hop.host() + "[" + c.smtp.remote().getAddress().getHostAddress() + "]:" + c.smtp.remote().getPort() + ")";
        Optional<String> host = Optional.of(hop.host());
        long size = message.size();
        // RFC 1870 §6: a message over the server's fixed limit is a permanent failure, without sending it
        String sizeLimit = c.extensions.get("SIZE");
        if (sizeLimit != null && sizeLimit.matches("[0-9]{1,18}")) {
            long limit = Long.parseLong(sizeLimit);
            if (limit > 0 && size > limit) {
                return all(recipients, Kind.FAILED, "552 5.3.4 message size " + size + " exceeds the fixed limit " + limit + remote, host);
            }
        }
        boolean utf8 = envelope.mailParameters().containsKey("SMTPUTF8");
        boolean utf8Needed = utf8 && (!ascii(envelope.reversePathText()) || recipients.stream().anyMatch(r -> !ascii(r.toString())));
        if (utf8Needed && !c.has("SMTPUTF8")) {
            // RFC 6531 §3.2: an internationalised address cannot be handed to a server without SMTPUTF8
            return all(recipients, Kind.FAILED, "553 5.6.7 the next hop does not support SMTPUTF8 (RFC 6531), needed for this address" + remote, host);
        }
        StringBuilder mail = new StringBuilder("MAIL FROM:").append(envelope.reversePathText());
        if (c.esmtp) {
            if (sizeLimit != null) mail.append(" SIZE=").append(size);
            String body = envelope.mailParameters().get("BODY");
            if (body != null && body.equalsIgnoreCase("8BITMIME") && c.has("8BITMIME")) mail.append(" BODY=8BITMIME");
            if (utf8 && c.has("SMTPUTF8")) mail.append(" SMTPUTF8");
        }
        List<String> rcpts = new ArrayList<>(recipients.size());
        for (MailAddress r : recipients) rcpts.add("RCPT TO:<" + r + ">");
        boolean pipelining = c.esmtp && c.has("PIPELINING");
        transactions.incrementAndGet();
        Result[] out = new Result[recipients.size()];
        boolean dataSent = false;
        try {
            Reply mailReply;
            List<Reply> rcptReplies = new ArrayList<>();
            Reply dataReply = null;
            if (pipelining) {
                List<String> batch = new ArrayList<>();
                batch.add(mail.toString());
                batch.addAll(rcpts);
                batch.add("DATA");
                c.smtp.sendAll(batch);
                mailReply = c.smtp.read(settings.commandTimeout());
                for (int i = 0; i < rcpts.size(); i++) rcptReplies.add(c.smtp.read(settings.commandTimeout()));
                dataReply = c.smtp.read(settings.dataInitTimeout());
            } else {
                c.smtp.send(mail.toString());
                mailReply = c.smtp.read(settings.commandTimeout());
                if (mailReply.positive()) {
                    for (String rc : rcpts) {
                        c.smtp.send(rc);
                        rcptReplies.add(c.smtp.read(settings.commandTimeout()));
                    }
                }
            }
            if (!mailReply.positive()) {
                reset(c, dataReply);
                return all(recipients, kind(mailReply), mailReply.oneLine() + " (MAIL)" + remote, host);
            }
            List<Integer> accepted = new ArrayList<>();
            for (int i = 0; i < recipients.size(); i++) {
                Reply r = rcptReplies.get(i);
                if (r.positive()) accepted.add(i);
                else out[i] = new Result(recipients.get(i), kind(r), r.oneLine() + " (RCPT)" + remote, host);
            }
            if (accepted.isEmpty()) {
                reset(c, dataReply);
                return List.of(out);
            }
            if (!pipelining) {
                c.smtp.send("DATA");
                dataReply = c.smtp.read(settings.dataInitTimeout());
            }
            if (dataReply.code() != START_MAIL_INPUT) {
                reset(c, null);
                for (int i : accepted) out[i] = new Result(recipients.get(i), kind(dataReply), dataReply.oneLine() + " (DATA)" + remote, host);
                return List.of(out);
            }
            dataSent = true;
            try (InputStream in = message.open()) {
                c.smtp.sendData(in, settings.dataBlockTimeout());
            }
            Reply end = c.smtp.read(settings.dataEndTimeout());
            for (int i : accepted) {
                out[i] = new Result(recipients.get(i), end.positive() ? Kind.DELIVERED : kind(end), end.oneLine() + remote, host);
            }
            return List.of(out);
        } catch (IOException e) {
            c.smtp.close();
            // RFC 5321 §6.1: when the reply to the data is lost the message may have been taken; sending it again
            // risks a duplicate, which is better than losing it
            String why = (dataSent ? "451 4.4.2 connection lost after the data was sent: " : "451 4.4.2 ") + e.getMessage() + remote;
            for (int i = 0; i < out.length; i++) {
                if (out[i] == null) out[i] = new Result(recipients.get(i), Kind.DEFERRED, why, host);
            }
            return List.of(out);
        }
    }

    /** After a transaction that did not reach the data: RSET, so the connection can be used again (§4.1.1.5). */
    private void reset(OpenConnection c, Reply dataReply) throws IOException {
        if (dataReply != null && dataReply.code() == START_MAIL_INPUT) {
            // a server that took DATA with no recipient accepted: do not send a message, drop the connection
            c.smtp.close();
            return;
        }
        c.smtp.send("RSET");
        Reply r = c.smtp.read(settings.commandTimeout());
        if (!r.positive()) c.smtp.close();
    }

    private static Kind kind(Reply r) {
        return r.permanentFailure() ? Kind.FAILED : r.positive() ? Kind.DELIVERED : Kind.DEFERRED;
    }

    private static boolean ascii(String s) {
        for (int i = 0; i < s.length(); i++) if (s.charAt(i) > 127) return false;
        return true;
    }

    private static List<Result> all(List<MailAddress> recipients, Kind kind, String reply, Optional<String> host) {
        List<Result> out = new ArrayList<>(recipients.size());
        for (MailAddress r : recipients) out.add(new Result(r, kind, reply, host));
        return out;
    }

    /**
     * TLS for opportunistic and required STARTTLS: encryption without certificate verification (RFC 7435; the
     * route's {@link Route.TlsPolicy} documents this), TLSv1.2 and 1.3 only.
     */
    private static SSLContext opportunisticContext() {
        TrustManager acceptAll = new X509TrustManager() {
            @Override public void checkClientTrusted(X509Certificate[] chain, String authType) { }
            @Override public void checkServerTrusted(X509Certificate[] chain, String authType) { }
            @Override public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
        };
        try {
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, new TrustManager[] {acceptAll}, null);
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("no TLS in this JVM: " + e.getMessage(), e);
        }
    }

    /** Closes idle connections (QUIT) and the connector. */
    @Override
    public void close() {
        pool.close();
        connector.dispose(true);
        log.debug("outbound client closed: {} transactions, {} connections", transactions.get(), connections.get());
    }
}
