package io.herald.outbound;

import io.herald.api.mail.Envelope;
import io.herald.api.mail.MailAddress;
import io.herald.api.mail.MessageContent;
import io.herald.api.routing.Route;
import io.herald.dns.DnsSettings;
import io.herald.dns.DnsjavaResolver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The outbound client against scripted SMTP servers that misbehave in the ways real ones do (the happy paths run
 * against real Herald servers and Postfix in distribution's RelayStoryTest and PostfixRelayTest).
 */
class OutboundClientTest {

    /** A scripted server: a greeting, then each command line answered by {@code script}; DATA content collected. */
    static final class Peer implements AutoCloseable {
        final ServerSocket socket;
        final List<String> commands = new CopyOnWriteArrayList<>();
        final List<String> data = new CopyOnWriteArrayList<>();
        final AtomicInteger connections = new AtomicInteger();
        final Thread thread;

        Peer(String greeting, Function<String, String> script) throws IOException {
            socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            thread = new Thread(() -> {
                while (!socket.isClosed()) {
                    try (Socket s = socket.accept()) {
                        connections.incrementAndGet();
                        serve(s, greeting, script);
                    } catch (IOException e) {
                        // next connection, or closed
                    }
                }
            }, "scripted-smtp-peer");
            thread.setDaemon(true);
            thread.start();
        }

        private void serve(Socket s, String greeting, Function<String, String> script) throws IOException {
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            OutputStream out = s.getOutputStream();
            out.write((greeting + "\r\n").getBytes(StandardCharsets.UTF_8));
            String line;
            while ((line = in.readLine()) != null) {
                commands.add(line);
                String reply = script.apply(line);
                if (reply == null) return;                      // hang up
                out.write((reply + "\r\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
                if (reply.startsWith("354")) {
                    StringBuilder b = new StringBuilder();
                    while ((line = in.readLine()) != null && !line.equals(".")) b.append(line).append("\n");
                    data.add(b.toString());
                    String end = script.apply(".");
                    if (end == null) return;
                    out.write((end + "\r\n").getBytes(StandardCharsets.UTF_8));
                    out.flush();
                }
                if (line == null || line.equalsIgnoreCase("QUIT")) return;
            }
        }

        String hop() {
            return "127.0.0.1:" + socket.getLocalPort();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    /** A server that speaks plain SMTP (no ESMTP), or ESMTP with these EHLO lines. */
    static Function<String, String> server(List<String> ehlo, Function<String, String> rcpt) {
        return line -> {
            String u = line.toUpperCase();
            if (u.startsWith("EHLO")) {
                if (ehlo == null) return "502 5.5.2 I only know HELO";
                StringBuilder b = new StringBuilder("250-peer.test");
                for (int i = 0; i < ehlo.size(); i++) b.append("\r\n250").append(i == ehlo.size() - 1 ? " " : "-").append(ehlo.get(i));
                return ehlo.isEmpty() ? "250 peer.test" : b.toString();
            }
            if (u.startsWith("HELO")) return "250 peer.test";
            if (u.startsWith("MAIL")) return "250 2.1.0 ok";
            if (u.startsWith("RCPT")) return rcpt.apply(line);
            if (u.equals("DATA")) return "354 go ahead";
            if (u.equals(".")) return "250 2.0.0 queued as P1";
            if (u.equals("RSET")) return "250 2.0.0 reset";
            if (u.equals("QUIT")) return "221 2.0.0 bye";
            return "502 5.5.1 unknown";
        };
    }

    final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : open) c.close();
    }

    Peer peer(String greeting, Function<String, String> script) throws IOException {
        Peer p = new Peer(greeting, script);
        open.add(p);
        return p;
    }

    OutboundClient client(Duration idle) {
        OutboundSettings d = OutboundSettings.defaults("relay.test");
        OutboundSettings s = new OutboundSettings(d.port(), d.heloName(), Duration.ofSeconds(5), Duration.ofSeconds(5),
                Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofSeconds(5), 2, 100, idle, 100, 100,
                Optional.empty());
        // routes below name IP literals: the resolver is never asked
        OutboundClient c = new OutboundClient(s, new DnsjavaResolver(new DnsSettings(List.of(new InetSocketAddress("127.0.0.1", 9)),
                Duration.ofMillis(200), 0, false)));
        open.add(c);
        return c;
    }

    static final Envelope ENV = new Envelope(Optional.of(new MailAddress("elsa", "arendelle.test")), List.of(), Map.of("BODY", "8BITMIME"));
    static final MessageContent MSG = MessageContent.of("Subject: hi\r\n\r\n.hidden line\r\nlast line without CRLF".getBytes(StandardCharsets.UTF_8));

    static List<MailAddress> rcpts(String... a) {
        return java.util.Arrays.stream(a).map(x -> new MailAddress(x.substring(0, x.indexOf('@')), x.substring(x.indexOf('@') + 1))).toList();
    }

    @Test
    void heloWhenEhloIsRefusedOneCommandAtATimeAndTheDataDotStuffed() throws Exception {
        Peer p = peer("220 old.test ready", server(null, l -> "250 2.1.5 ok"));
        List<OutboundClient.Result> r = client(Duration.ZERO).deliver(new Route.Relay(List.of(p.hop())), ENV, rcpts("olaf@x.test"), MSG);
        assertThat(r).singleElement().satisfies(x -> {
            assertThat(x.kind()).isEqualTo(OutboundClient.Kind.DELIVERED);
            assertThat(x.reply()).startsWith("250 2.0.0 queued as P1 (remote: 127.0.0.1[127.0.0.1]:");
        });
        // no ESMTP: no SIZE=, no BODY= parameters
        assertThat(p.commands).startsWith("EHLO relay.test", "HELO relay.test", "MAIL FROM:<elsa@arendelle.test>", "RCPT TO:<olaf@x.test>", "DATA");
        assertThat(p.data).containsExactly("Subject: hi\n\n..hidden line\nlast line without CRLF\n");
    }

    @Test
    void pipelinedRecipientsGetTheirOwnRepliesAndTheConnectionIsReused() throws Exception {
        Peer p = peer("220 esmtp.test ready", server(List.of("PIPELINING", "SIZE 100000", "8BITMIME"),
                l -> l.contains("full@") ? "452 4.2.2 mailbox full" : l.contains("gone@") ? "550 5.1.1 no such user" : "250 2.1.5 ok"));
        OutboundClient c = client(Duration.ofSeconds(30));
        List<OutboundClient.Result> r = c.deliver(new Route.Relay(List.of(p.hop())), ENV, rcpts("a@x.test", "full@x.test", "gone@x.test"), MSG);
        assertThat(r).extracting(OutboundClient.Result::kind).containsExactly(OutboundClient.Kind.DELIVERED,
                OutboundClient.Kind.DEFERRED, OutboundClient.Kind.FAILED);
        assertThat(r.get(1).reply()).startsWith("452 4.2.2 mailbox full (RCPT)");
        assertThat(r.get(2).reply()).startsWith("550 5.1.1 no such user (RCPT)");
        assertThat(p.commands).contains("MAIL FROM:<elsa@arendelle.test> SIZE=" + MSG.size() + " BODY=8BITMIME");
        c.deliver(new Route.Relay(List.of(p.hop())), ENV, rcpts("b@x.test"), MSG);
        assertThat(p.connections.get()).as("the second message reuses the idle connection").isEqualTo(1);
        assertThat(p.commands.stream().filter(x -> x.startsWith("EHLO")).count()).isEqualTo(1);
        assertThat(c.transactions()).isEqualTo(2);
    }

    @Test
    void aRefusingGreetingMovesOnToTheNextHost() throws Exception {
        Peer busy = peer("554 5.3.2 not now, not you", server(List.of(), l -> "250 ok"));
        Peer good = peer("220 good.test", server(List.of(), l -> "250 ok"));
        List<OutboundClient.Result> r = client(Duration.ZERO).deliver(new Route.Relay(List.of(busy.hop(), good.hop())), ENV, rcpts("olaf@x.test"), MSG);
        assertThat(r.get(0).kind()).isEqualTo(OutboundClient.Kind.DELIVERED);
        assertThat(r.get(0).reply()).contains(":" + good.socket.getLocalPort() + ")");
        // every host refusing permanently is a permanent failure; only one host down makes it temporary
        List<OutboundClient.Result> both = client(Duration.ZERO).deliver(new Route.Relay(List.of(busy.hop(), busy.hop())), ENV, rcpts("olaf@x.test"), MSG);
        assertThat(both.get(0).kind()).isEqualTo(OutboundClient.Kind.FAILED);
        assertThat(both.get(0).reply()).startsWith("554 5.3.2 not now, not you (greeting)");
    }

    @Test
    void refusedConnectionsAreDeferred() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        List<OutboundClient.Result> r = client(Duration.ZERO).deliver(new Route.Relay(List.of("127.0.0.1:" + closed)), ENV, rcpts("olaf@x.test"), MSG);
        assertThat(r.get(0).kind()).isEqualTo(OutboundClient.Kind.DEFERRED);
        assertThat(r.get(0).reply()).startsWith("451 4.4.1 cannot connect");
        assertThat(client(Duration.ZERO).deliver(new Route.Relay(List.of()), ENV, rcpts("olaf@x.test"), MSG).get(0).reply())
                .startsWith("451 4.4.4");
    }

    @Test
    void aMessageOverTheAdvertisedSizeIsBouncedWithoutSendingIt() throws Exception {
        Peer p = peer("220 small.test", server(List.of("SIZE 10"), l -> "250 ok"));
        List<OutboundClient.Result> r = client(Duration.ZERO).deliver(new Route.Relay(List.of(p.hop())), ENV, rcpts("olaf@x.test"), MSG);
        assertThat(r.get(0).kind()).isEqualTo(OutboundClient.Kind.FAILED);
        assertThat(r.get(0).reply()).startsWith("552 5.3.4 message size " + MSG.size() + " exceeds the fixed limit 10");
        assertThat(p.commands).noneMatch(c -> c.startsWith("MAIL"));
    }

    @Test
    void requiredTlsWithoutStarttlsIsDeferredAndAuthIsNeverSentInTheClear() throws Exception {
        Peer p = peer("220 plain.test", server(List.of("AUTH PLAIN LOGIN"), l -> "250 ok"));
        Route.Relay smarthost = new Route.Relay(List.of(p.hop()), 0, Route.TlsPolicy.OPPORTUNISTIC,
                Optional.of(new Route.Credentials("herald", "s3cret")));
        List<OutboundClient.Result> r = client(Duration.ZERO).deliver(smarthost, ENV, rcpts("olaf@x.test"), MSG);
        assertThat(r.get(0).kind()).isEqualTo(OutboundClient.Kind.DEFERRED);
        assertThat(r.get(0).reply()).startsWith("451 4.7.5 TLS is required");
        assertThat(p.commands).noneMatch(c -> c.startsWith("AUTH")).noneMatch(c -> c.startsWith("MAIL"));
    }

    @Test
    void aConnectionLostAfterTheDataIsDeferredNotBounced() throws Exception {
        Peer p = peer("220 flaky.test", l -> l.equals(".") ? null : server(List.of(), x -> "250 ok").apply(l));
        List<OutboundClient.Result> r = client(Duration.ZERO).deliver(new Route.Relay(List.of(p.hop())), ENV, rcpts("olaf@x.test"), MSG);
        assertThat(r.get(0).kind()).isEqualTo(OutboundClient.Kind.DEFERRED);
        assertThat(r.get(0).reply()).startsWith("451 4.4.2 connection lost after the data was sent");
    }

    @Test
    void garbageInsteadOfARepliesIsATemporaryFailure() throws Exception {
        Peer p = peer("hello, I am not SMTP", l -> "???");
        List<OutboundClient.Result> r = client(Duration.ZERO).deliver(new Route.Relay(List.of(p.hop())), ENV, rcpts("olaf@x.test"), MSG);
        assertThat(r.get(0).kind()).isEqualTo(OutboundClient.Kind.DEFERRED);
        assertThat(r.get(0).reply()).startsWith("451 4.4.2 not an SMTP reply line: hello, I am not SMTP");
    }
}
