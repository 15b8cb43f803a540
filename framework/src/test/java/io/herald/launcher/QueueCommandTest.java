package io.herald.launcher;

import io.herald.api.mail.Envelope;
import io.herald.api.mail.MailAddress;
import io.herald.api.plugin.HeraldPlugin;
import io.herald.api.routing.Route;
import io.herald.api.routing.Router;
import io.herald.queue.QueueAdmin;
import io.herald.queue.RecipientState;
import io.herald.server.HeraldServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.herald.queue.QueueTestSupport.bytes;
import static io.herald.queue.QueueTestSupport.commit;
import static io.herald.queue.QueueTestSupport.envelope;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** {@code herald queue list|show|retry|delete} beside a running server, and with none. */
class QueueCommandTest {

    @TempDir
    Path home;

    /** Relays every recipient to a port where nothing listens: the mail stays deferred. */
    public static final class Unreachable extends HeraldPlugin {
        static volatile int port;

        @Override
        protected void configure() {
            router().toInstance(new Router() {
                @Override public Route route(Envelope e, MailAddress r) {
                    return Route.relay(List.of("127.0.0.1:" + port));
                }
            });
        }
    }

    /** The exit code, a newline, then standard output; args include {@code --home}. */
    String run(String... args) {
        HeraldRun r = HeraldRun.in(home, java.util.Arrays.copyOfRange(args, 2, args.length));
        return r.exit() + "\n" + r.out();
    }

    @Test
    void listShowRetryDeleteBesideTheRunningServerThenWithoutIt() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            Unreachable.port = s.getLocalPort();   // closed again below: connection refused
        }
        String h = home.toString();
        String id;
        String second;
        try (HeraldServer server = HeraldServer.builder().home(home).set("smtp", "port", "-1").set("submission", "port", "-1")
                .set("submissions", "port", "-1").set("queue", "retry.initial", "1h").set("queue", "retry.max", "1h")
                .plugins(List.of(new Unreachable())).start()) {
            id = commit(server.queue(), envelope("elsa@arendelle.test", "olaf@northmountain.test", "anna@northmountain.test"),
                    bytes("Subject: wait\r\n\r\nhi\r\n"), List.of());
            second = commit(server.queue(), envelope("elsa@arendelle.test", "sven@northmountain.test"), bytes("x\r\n"), List.of());
            await().atMost(30, TimeUnit.SECONDS).until(() -> server.queue().entry(id).orElseThrow().recipients().stream()
                    .allMatch(r -> r.status() == RecipientState.Status.DEFERRED));
            assertThat(QueueAdmin.serverRunning(server.queue().directory())).isTrue();

            String list = run("--home", h, "queue", "list");
            assertThat(list).startsWith("0\n").contains("ID").contains("NEXT ATTEMPT").contains(id).contains("<elsa@arendelle.test>")
                    .contains("2/2").contains("2 messages queued");
            String show = run("--home", h, "queue", "show", id);
            assertThat(show).startsWith("0\n").contains("from:     <elsa@arendelle.test>").contains("olaf@northmountain.test")
                    .contains("deferred").contains("451 4.4.1 cannot connect");
            assertThat(show.lines().filter(l -> l.contains("northmountain.test")).toList()).hasSize(2)
                    .allSatisfy(l -> assertThat(l).contains("deferred  1 "));

            // retry: handed to the server, which tries at once (attempt 2) instead of in an hour
            String retried = run("--home", h, "queue", "retry", id);
            assertThat(retried).startsWith("0\n").contains("2 deferred recipients of 1 entries are being tried now");
            await().atMost(30, TimeUnit.SECONDS).until(() -> server.queue().entry(id).orElseThrow().recipients().stream()
                    .allMatch(r -> r.attempts() == 2));

            assertThat(run("--home", h, "queue", "delete", id)).startsWith("0\n").contains("deleted " + id);
            assertThat(server.queue().entry(id)).isEmpty();
            assertThat(run("--home", h, "queue", "show", id)).startsWith("1\n");
            assertThat(run("--home", h, "queue", "delete", "NOSUCHID")).startsWith("1\n");
            // an unknown id is worded alike by show (read from the files), retry and delete (answered by the server)
            for (String verb : List.of("show", "retry", "delete")) {
                HeraldRun unknown = herald("queue", verb, "NOSUCHID");
                assertThat(unknown.exit()).as(verb).isEqualTo(1);
                assertThat(unknown.err()).as(verb).isEqualTo("herald: no queue entry NOSUCHID" + System.lineSeparator());
            }
            assertThat(run("--home", h, "queue", "retry")).startsWith("2\n");   // a wrong command line
        }
        // no server: the tool changes the files itself
        assertThat(QueueAdmin.serverRunning(home.resolve("data/queue"))).isFalse();
        assertThat(run("--home", h, "queue", "list")).contains(second).contains("1 message queued");
        assertThat(QueueAdmin.request(home.resolve("data/queue"), "retry all", Duration.ofSeconds(5), Clock.systemUTC()))
                .startsWith("ok 1 deferred recipients due now");
        assertThat(QueueAdmin.scan(home.resolve("data/queue")).get(0).recipients().get(0).nextAttempt().orElseThrow())
                .isBeforeOrEqualTo(java.time.Instant.now());
        assertThat(run("--home", h, "queue", "delete", second)).startsWith("0\n").contains("deleted " + second);
        assertThat(QueueAdmin.scan(home.resolve("data/queue"))).isEmpty();
    }

    HeraldRun herald(String... args) {
        return HeraldRun.in(home, args);
    }

    @Test
    void deleteAllAndItsFiltersBesideTheRunningServerThenWithoutIt() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            Unreachable.port = s.getLocalPort();   // closed again below: connection refused
        }
        String elsaToOlaf;
        String elsaToKristoff;
        String annaToSven;
        String bounce;
        try (HeraldServer server = HeraldServer.builder().home(home).set("smtp", "port", "-1").set("submission", "port", "-1")
                .set("submissions", "port", "-1").set("queue", "retry.initial", "1h").set("queue", "retry.max", "1h")
                .plugins(List.of(new Unreachable())).start()) {
            elsaToOlaf = commit(server.queue(), envelope("elsa@arendelle.test", "olaf@northmountain.test"), bytes("a\r\n"), List.of());
            elsaToKristoff = commit(server.queue(), envelope("elsa@arendelle.test", "kristoff@ice.test"), bytes("b\r\n"), List.of());
            annaToSven = commit(server.queue(), envelope("anna@arendelle.test", "sven@northmountain.test", "kristoff@ice.test"),
                    bytes("c\r\n"), List.of());
            bounce = commit(server.queue(), envelope(null, "hans@southern-isles.test"), bytes("d\r\n"), List.of());

            // wrong command lines: exit code 2 with the usage, and nothing is deleted
            for (List<String> wrong : List.of(List.of("queue", "delete", elsaToOlaf, "--all"), List.of("queue", "delete"),
                    List.of("queue", "delete", elsaToOlaf, "--to", "ice.test"), List.of("queue", "delete", "--from", "a@b.test", bounce),
                    List.of("queue", "delete", "--to", "not a domain"), List.of("queue", "delete", "--from", "el sa@arendelle.test"))) {
                HeraldRun r = herald(wrong.toArray(String[]::new));
                assertThat(r.exit()).as(wrong.toString()).isEqualTo(2);
                assertThat(r.err()).as(wrong.toString()).contains("Usage: herald queue delete").contains("--all");
            }
            assertThat(server.queue().size()).isEqualTo(4);

            // both filters: messages from elsa with a recipient at northmountain.test (the domain in any case)
            HeraldRun r = herald("queue", "delete", "--to", "NorthMountain.test", "--from", "<elsa@Arendelle.TEST>");
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(r.out()).contains("deleted 1 message with a recipient at northmountain.test from <elsa@arendelle.test> (no bounce is sent)\n");
            assertThat(server.queue().entry(elsaToOlaf)).isEmpty();
            // --to alone: every message with a recipient still to do there, whole (anna's to sven as well)
            assertThat(herald("queue", "delete", "--to", "ice.test").out()).contains("deleted 2 messages with a recipient at ice.test (no bounce is sent)\n");
            assertThat(server.queue().entry(elsaToKristoff)).isEmpty();
            assertThat(server.queue().entry(annaToSven)).isEmpty();
            // nothing matches: 0, exit code 0
            r = herald("queue", "delete", "--all", "--from", "nobody@arendelle.test");
            assertThat(r.exit()).isZero();
            assertThat(r.out()).contains("deleted 0 messages from <nobody@arendelle.test> (no bounce is sent)\n");
            assertThat(server.queue().size()).isEqualTo(1);
        }
        // no server: the tool deletes the files itself
        assertThat(QueueAdmin.serverRunning(home.resolve("data/queue"))).isFalse();
        assertThat(herald("queue", "delete", "--from", "<>").out()).contains("deleted 1 message from <> (no bounce is sent)\n");
        assertThat(QueueAdmin.scan(home.resolve("data/queue"))).isEmpty();
        assertThat(home.resolve("data/queue/active")).isEmptyDirectory();
    }

    @Test
    void deleteAllEmptiesTheQueueBesideTheRunningServerAndWithoutIt() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            Unreachable.port = s.getLocalPort();
        }
        for (boolean running : new boolean[] {true, false}) {
            try (HeraldServer server = HeraldServer.builder().home(home).set("smtp", "port", "-1").set("submission", "port", "-1")
                    .set("submissions", "port", "-1").set("queue", "retry.initial", "1h").set("queue", "retry.max", "1h")
                    .plugins(List.of(new Unreachable())).start()) {
                for (int i = 0; i < 5; i++) {
                    commit(server.queue(), envelope("elsa@arendelle.test", "olaf" + i + "@northmountain.test"), bytes("x\r\n"), List.of());
                }
                if (running) {
                    HeraldRun r = herald("queue", "delete", "--all");
                    assertThat(r.exit()).as(r.err()).isZero();
                    assertThat(r.out()).contains("deleted 5 messages (no bounce is sent)\n");
                    assertThat(server.queue().size()).isZero();
                    assertThat(herald("queue", "list").out()).contains("0 messages queued");
                }
            }
            if (!running) {
                HeraldRun r = herald("queue", "delete", "--all");
                assertThat(r.exit()).as(r.err()).isZero();
                assertThat(r.out()).contains("deleted 5 messages (no bounce is sent)\n");
                assertThat(QueueAdmin.scan(home.resolve("data/queue"))).isEmpty();
            }
        }
    }

    @Test
    void aSecondServerOnTheSameQueueRefusesToStart() throws Exception {
        try (HeraldServer first = HeraldServer.builder().home(home).set("smtp", "port", "-1").set("submission", "port", "-1")
                .set("submissions", "port", "-1").start()) {
            assertThatThrownBy(() -> HeraldServer.builder().home(home).set("smtp", "port", "-1").set("submission", "port", "-1")
                    .set("submissions", "port", "-1").start()).hasMessageContaining("in use by another running server");
            assertThat(first.queue().size()).isZero();
        }
    }
}
