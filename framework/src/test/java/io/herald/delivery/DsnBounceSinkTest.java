package io.herald.delivery;

import io.herald.api.config.ServerIdentity;
import io.herald.api.mail.Envelope;
import io.herald.api.mail.MailAddress;
import io.herald.api.routing.Route;
import io.herald.api.routing.Router;
import io.herald.queue.FileQueue;
import io.herald.queue.QueueEntry;
import io.herald.queue.QueueSettings;
import io.herald.queue.QueueTestSupport.MemoryStore;
import io.herald.queue.RecipientState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static io.herald.queue.QueueTestSupport.*;
import static org.assertj.core.api.Assertions.assertThat;

class DsnBounceSinkTest {

    @TempDir
    Path dir;

    static final ServerIdentity ID = new ServerIdentity() {
        @Override public String hostname() { return "mail.arendelle.test"; }
        @Override public Set<String> localDomains() { return Set.of("arendelle.test"); }
    };

    /** Refuses x@gone.test and y@gone.test; everything else is local. */
    static final Router ROUTER = (env, rcpt) -> rcpt.domain().equals("gone.test")
            ? Route.refuse(550, "5.1.1", "<" + rcpt + ">: no such user") : Route.local(rcpt.canonical());

    @Test
    void oneDsnPerAttemptListingEveryFailedRecipientSentOnceToTheSender() throws Exception {
        QueueSettings settings = new QueueSettings(Duration.ofHours(1), Duration.ofHours(1), Duration.ofDays(5), 1, 2, 0);
        FileQueue q = new FileQueue(dir, settings);
        MemoryStore store = new MemoryStore();
        DsnBounceSink dsn = new DsnBounceSink(q, ID, Clock.systemUTC());
        try (DeliveryAgent agent = new DeliveryAgent(q, registry(List.of(ROUTER), store), settings, dsn)) {
            agent.start();
            commit(q, envelope("elsa@arendelle.test", "x@gone.test", "y@gone.test"), bytes("Subject: lost\r\n\r\nbody\r\n"), List.of());
            assertThat(q.awaitEmpty(Duration.ofSeconds(30))).isTrue();
        } finally {
            q.close();
        }
        // the original and exactly one DSN, delivered to Elsa with the null reverse-path
        assertThat(q.stats().committed()).isEqualTo(2);
        assertThat(store.stored).singleElement().satisfies(d -> assertThat(d.mailbox()).isEqualTo("elsa@arendelle.test"));
        String text = new String(store.byKey.values().iterator().next(), StandardCharsets.UTF_8);
        assertThat(text).startsWith("Return-Path: <>\r\n");
        assertThat(text).contains("<x@gone.test>: 550 5.1.1 <x@gone.test>: no such user\r\n<y@gone.test>: 550 5.1.1");
        assertThat(text).contains("Final-Recipient: rfc822; x@gone.test\r\nAction: failed\r\nStatus: 5.1.1\r\n")
                .contains("Final-Recipient: rfc822; y@gone.test\r\n").contains("Subject: lost\r\n")
                .doesNotContain("body\r\n");
    }

    @Test
    void aBounceIsNeverSentToTheNullReversePathAndARepeatedCallSendsNothingMore() throws Exception {
        QueueSettings settings = new QueueSettings(Duration.ofHours(1), Duration.ofHours(1), Duration.ofDays(5), 1, 2, 0);
        FileQueue q = new FileQueue(dir, settings);
        q.start(e -> { });
        try {
            DsnBounceSink dsn = new DsnBounceSink(q, ID, Clock.systemUTC());
            commit(q, new Envelope(Optional.empty(), List.of(addr("x@gone.test")), Map.of()), bytes("x\r\n"), List.of());
            QueueEntry bounce = q.entry(q.list().get(0).id()).orElseThrow();
            dsn.permanentFailures(bounce, List.of(failed(bounce.recipient(0))));
            assertThat(q.size()).as("no DSN for a DSN").isEqualTo(1);

            String id = commit(q, envelope("elsa@arendelle.test", "x@gone.test"), bytes("x\r\n"), List.of());
            QueueEntry e = q.entry(id).orElseThrow();
            dsn.permanentFailures(e, List.of(failed(e.recipient(0))));
            dsn.permanentFailures(e, List.of(failed(e.recipient(0))));   // after a crash, before the state was recorded
            assertThat(q.size()).as("the original two and one DSN").isEqualTo(3);
        } finally {
            q.close();
        }
    }

    static RecipientState failed(RecipientState r) {
        return new RecipientState(r.index(), r.recipient(), RecipientState.Status.FAILED, 1, Optional.empty(),
                "550 5.1.1 no such user", Optional.of(java.time.Instant.now()));
    }

    static MailAddress addr(String a) {
        return io.herald.queue.QueueTestSupport.addr(a);
    }
}
