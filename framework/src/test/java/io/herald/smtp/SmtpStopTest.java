package io.herald.smtp;

import io.herald.config.ConfigStore;
import io.herald.host.ExtensionRegistry;
import io.herald.host.Plugin;
import io.herald.queue.FileQueue;
import io.herald.queue.MessageQueue;
import io.herald.queue.QueueSettings;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static io.herald.smtp.SmtpServerTest.expect;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Stopping a listener while messages are being committed (RFC 5321 §3.8 and the promise of {@code 250}): a client
 * whose end of data was received gets the outcome of the commit, then {@code 421 4.3.2}; a stop waits for that at most
 * {@code shutdownGrace}. Commits are held up at {@link TempDirQueue#gate}, on the queue's thread or on the session's own
 * I/O thread (as FileQueue makes a lone commit durable).
 */
class SmtpStopTest {

    @TempDir Path tmp;
    TempDirQueue queue;
    SmtpServer server;

    @AfterEach
    void stop() {
        if (queue != null && queue.gate != null) queue.gate.complete(null);
        if (server != null) server.close();
    }

    void start(MessageQueue q, Map<String, String> config) throws Exception {
        Map<String, String> c = new HashMap<>(config);
        c.put("port", "0");
        ExtensionRegistry registry = new ExtensionRegistry();
        registry.add(new Plugin("test-router", "1", List.of(), List.of(SmtpServerTest.TEST_ROUTER), List.of(), List.of()));
        server = new SmtpServer(SmtpSettings.from(new ConfigStore.MapConfiguration("smtp", c)), SmtpServerTest.IDENTITY, registry, q);
        server.start();
    }

    /** A held-up commit queue, on the session's own thread or on another one. */
    void startHeld(boolean commitOnCaller, Map<String, String> config) throws Exception {
        queue = new TempDirQueue(tmp);
        queue.gate = new CompletableFuture<>();
        queue.commitOnCaller = commitOnCaller;
        start(queue, config);
    }

    SmtpTestClient client() throws Exception {
        SmtpTestClient c = new SmtpTestClient(server.port());
        assertThat(c.reply().code()).isEqualTo(220);
        expect(c.command("EHLO client.test"), 250, null);
        return c;
    }

    /** A client that has sent a whole message, whose commit has begun (and is held at the gate). */
    SmtpTestClient committing(String text) throws Exception {
        SmtpTestClient c = client();
        c.command("MAIL FROM:<a@example.org>");
        c.command("RCPT TO:<elsa@herald.test>");
        assertThat(c.command("DATA").code()).isEqualTo(354);
        c.send("Subject: held\r\n\r\n" + text + "\r\n.\r\n");
        assertThat(queue.commitsBegun.tryAcquire(15, TimeUnit.SECONDS)).as("the commit began").isTrue();
        return c;
    }

    /** Begins the stop from another thread: it returns without waiting for the held commit (or this fails). */
    void beginStop() throws Exception {
        CompletableFuture.runAsync(server::beginStop).get(30, TimeUnit.SECONDS);
    }

    @ParameterizedTest(name = "commit on the session's thread: {0}")
    @ValueSource(booleans = {false, true})
    void aMessageBeingCommittedWhenTheServerStopsGets250Then421(boolean commitOnCaller) throws Exception {
        startHeld(commitOnCaller, Map.of());
        try (SmtpTestClient c = committing("keep me"); SmtpTestClient idle = client()) {
            beginStop();
            // a session not committing is told at once (with the commit on the session's thread, the idle session may
            // share that I/O thread: its 421 then leaves with the commit's 250)
            if (!commitOnCaller) expect(idle.reply(), 421, "4.3.2");
            assertThat(queue.committed).isEmpty();
            queue.gate.complete(null);
            expect(c.reply(), 250, "2.0.0");
            expect(c.reply(), 421, "4.3.2");
            assertThat(c.closedByServer()).isTrue();
            if (commitOnCaller) expect(idle.reply(), 421, "4.3.2");
            assertThat(idle.closedByServer()).isTrue();
            server.close();
        }
        assertThat(queue.committed).singleElement().satisfies(m -> assertThat(m.text()).contains("keep me"));
    }

    @ParameterizedTest(name = "commit on the session's thread: {0}")
    @ValueSource(booleans = {false, true})
    void aCommitThatFailsWhileTheServerStopsGets452Then421(boolean commitOnCaller) throws Exception {
        startHeld(commitOnCaller, Map.of());
        queue.failCommit = true;
        try (SmtpTestClient c = committing("the disk is full")) {
            beginStop();
            queue.gate.complete(null);
            expect(c.reply(), 452, "4.3.1");
            expect(c.reply(), 421, "4.3.2");
            assertThat(c.closedByServer()).isTrue();
            server.close();
        }
        assertThat(queue.committed).isEmpty();
    }

    /**
     * A commit that does not finish within {@code shutdownGrace} does not hold the stop: the session is cut off without
     * a reply and the message is the queue's (this one keeps it when the commit completes; its client, having no reply,
     * sends it again).
     */
    @ParameterizedTest(name = "commit on the session's thread: {0}")
    @ValueSource(booleans = {false, true})
    void aCommitThatNeverFinishesDoesNotHoldTheStopBeyondTheGrace(boolean commitOnCaller) throws Exception {
        startHeld(commitOnCaller, Map.of("shutdownGrace", "500ms"));
        try (SmtpTestClient c = committing("late")) {
            CompletableFuture.runAsync(server::close).get(60, TimeUnit.SECONDS);
            assertThat(queue.gate).as("closed while the commit was held").isNotDone();
            queue.gate.complete(null);
            org.awaitility.Awaitility.await().atMost(30, TimeUnit.SECONDS).until(() -> queue.committed.size() == 1);
            assertThat(c.closedByServer()).as("cut off without a reply").isTrue();
        }
    }

    /** A client that had one message accepted and is half-way through the data of a second one. */
    SmtpTestClient acceptedOneAndInTheDataOfAnother() throws Exception {
        SmtpTestClient c = client();
        c.command("MAIL FROM:<a@example.org>");
        c.command("RCPT TO:<elsa@herald.test>");
        c.command("DATA");
        expect(c.command("Subject: accepted\r\n\r\nkeep me\r\n."), 250, "2.0.0");
        c.command("MAIL FROM:<a@example.org>");
        c.command("RCPT TO:<elsa@herald.test>");
        assertThat(c.command("DATA").code()).isEqualTo(354);
        c.send("Subject: cut off\r\n\r\nhalf of it\r\n");
        return c;
    }

    /** RFC 5321 §3.8: a server that is shut down SHOULD send 421 before it closes the connection. */
    @Test
    void stoppingTheServerTellsEveryClient421AndKeepsWhatWasAccepted() throws Exception {
        queue = new TempDirQueue(tmp);
        start(queue, Map.of());
        try (SmtpTestClient greeted = new SmtpTestClient(server.port()); SmtpTestClient idle = client();
             SmtpTestClient inData = acceptedOneAndInTheDataOfAnother()) {
            assertThat(greeted.reply().code()).isEqualTo(220);

            server.close();

            expect(idle.reply(), 421, "4.3.2");
            expect(inData.reply(), 421, "4.3.2");
            // before EHLO no enhanced status codes (RFC 2034 §3)
            expect(greeted.reply(), 421, null);
            for (SmtpTestClient c : List.of(idle, inData, greeted)) assertThat(c.closedByServer()).isTrue();
        }
        assertThat(queue.committed).singleElement().satisfies(m -> assertThat(m.text()).contains("keep me"));
        assertThat(queue.discarded).as("the message cut off in DATA is discarded").hasValue(1);
    }

    /** The same with the real queue: what was accepted stays in active/, the message cut off leaves nothing in tmp/. */
    @Test
    void aMessageCutOffInDataLeavesNoSpoolFileInTheQueue() throws Exception {
        Path dir = tmp.resolve("queue");
        try (FileQueue q = new FileQueue(dir, QueueSettings.defaults())) {
            q.start(e -> { });
            start(q, Map.of());
            try (SmtpTestClient c = acceptedOneAndInTheDataOfAnother()) {
                assertThat(names(dir.resolve("tmp"))).as("the spool of the message being received").hasSize(1);

                server.close();

                expect(c.reply(), 421, "4.3.2");
                assertThat(c.closedByServer()).isTrue();
            }
            assertThat(names(dir.resolve("tmp"))).as("the half-written spool is removed").isEmpty();
            assertThat(q.list()).hasSize(1);
            assertThat(names(dir.resolve("active"))).containsExactly(q.list().get(0).id() + ".msg");
        }
    }

    static List<String> names(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).toList();
        }
    }
}
