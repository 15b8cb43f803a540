package io.herald.launcher;

import io.herald.api.mail.MessageContent;
import io.herald.api.plugin.HeraldPlugin;
import io.herald.api.spam.SpamLearner;
import io.herald.server.HeraldServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code herald spam train} against a running server, through its admin API ({@code /admin/spam/learn}, {@code /flush}). */
class SpamCommandTest {

    @TempDir
    Path home;

    @TempDir
    Path mail;

    /**
     * A learner that keeps what it was taught (message text and label), refuses messages containing "poison", and
     * runs {@link #onStop} for a message containing "stop the server" (then refuses it).
     */
    static final class Recorder implements SpamLearner {
        final List<String> learnt = Collections.synchronizedList(new ArrayList<>());
        volatile int flushes;
        volatile Runnable onStop = () -> { };

        @Override public void learn(MessageContent message, boolean spam) throws IOException {
            String text;
            try (InputStream in = message.open()) {
                text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            if (text.contains("poison")) throw new IOException("cannot tokenize this one");
            if (text.contains("stop the server")) {
                onStop.run();
                throw new IOException("the server stopped");
            }
            learnt.add((spam ? "spam:" : "ham:") + text.strip());
        }

        @Override public void flush() {
            flushes++;
        }

        @Override public String name() {
            return "recorder";
        }
    }

    static final Recorder RECORDER = new Recorder();

    public static final class LearnerPlugin extends HeraldPlugin {
        @Override
        protected void configure() {
            spamLearner().toInstance(RECORDER);
        }
    }

    public static final class NoLearnerPlugin extends HeraldPlugin {
        @Override
        protected void configure() { }
    }

    HeraldRun herald(String... args) {
        return HeraldRun.in(home, args);
    }

    HeraldServer server(HeraldPlugin plugin) throws IOException {
        return HeraldServer.builder().home(home)
                .set("smtp", "port", "-1").set("submission", "port", "-1").set("submissions", "port", "-1")
                .set("http", "port", "0").plugins(List.of(plugin)).start();
    }

    Path message(String relative, String body) throws IOException {
        Path p = mail.resolve(relative);
        Files.createDirectories(p.getParent());
        Files.writeString(p, "Subject: " + body + "\r\n\r\n" + body + "\r\n");
        return p;
    }

    @Test
    void everyFileBelowTheFoldersIsLearntWithItsLabelThenSaved() throws Exception {
        RECORDER.learnt.clear();
        message("spam/a", "buy now");
        message("spam/cur/b", "cheap pills");          // any depth, e.g. a Maildir
        message("spam/.hidden", "not a message");      // dot names are skipped
        message("spam/.Trash/cur/c", "in a hidden folder");
        message("ham/x", "lunch tomorrow?");
        try (HeraldServer server = server(new LearnerPlugin())) {
            int flushesBefore = RECORDER.flushes;
            HeraldRun r = herald("spam", "train", "--spam", mail.resolve("spam").toString(), "--ham", mail.resolve("ham").toString());
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(RECORDER.learnt).containsExactly(
                    "spam:Subject: buy now\r\n\r\nbuy now", "spam:Subject: cheap pills\r\n\r\ncheap pills",
                    "ham:Subject: lunch tomorrow?\r\n\r\nlunch tomorrow?");
            assertThat(RECORDER.flushes).isEqualTo(flushesBefore + 1);
            assertThat(r.out().lines()).anySatisfy(l -> assertThat(l.split(" +")).containsExactly("recorder", "2", "1", "0", "yes"));
            assertThat(r.out()).contains("2 spam and 1 ham messages read from 2 folders");
        }
    }

    /** One message a learner cannot take, and one empty file: both named, the others still learnt, exit code 1. */
    @Test
    void aMessageThatCannotBeLearntIsNamedAndTheRestIsStillLearnt() throws Exception {
        RECORDER.learnt.clear();
        message("spam/1", "one");
        Path poison = message("spam/2", "poison");
        message("spam/3", "three");
        Path empty = mail.resolve("spam/4");
        Files.writeString(empty, "");
        try (HeraldServer server = server(new LearnerPlugin())) {
            HeraldRun r = herald("spam", "train", "--spam", mail.resolve("spam").toString());
            assertThat(r.exit()).isEqualTo(ExitCodes.FAILURE);
            assertThat(RECORDER.learnt).hasSize(2);
            assertThat(r.out()).contains("failed: " + poison + ": recorder: java.io.IOException: cannot tokenize this one")
                    .contains("failed: " + empty + ": no message: the request body is empty");
            assertThat(r.out().lines()).anySatisfy(l -> assertThat(l.split(" +")).containsExactly("recorder", "2", "0", "1", "yes"));
        }
    }

    /**
     * The server stops while it learns a message (SIGTERM during training): the admin API's connection is closed
     * without an answer. One line says so, with how far the training got; no stack trace, exit code 1.
     */
    @Test
    void aServerThatStopsDuringTrainingIsNamedWithHowFarItGot() throws Exception {
        RECORDER.learnt.clear();
        message("spam/1", "one");
        Path stop = message("spam/2", "stop the server");
        message("spam/3", "three");
        HeraldServer server = server(new LearnerPlugin());
        CountDownLatch closed = new CountDownLatch(1);
        Thread closer = new Thread(() -> {
            server.close();
            closed.countDown();
        });
        RECORDER.onStop = () -> {                      // on the server's HTTP thread, while the call is open
            closer.start();
            try {
                closed.await();                        // the listener's stop closes the connection, then interrupts us
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        try {
            HeraldRun r = herald("spam", "train", "--spam", mail.resolve("spam").toString());
            assertThat(r.exit()).isEqualTo(ExitCodes.FAILURE);
            assertThat(r.err()).startsWith("herald: the server's admin API at http://127.0.0.1:")
                    .contains(" closed the connection without an answer (did the server stop?)")
                    .endsWith("; stopped at message 2 of 3 (" + stop + "), the 1 before it were sent" + System.lineSeparator())
                    .hasLineCount(1);
            assertThat(RECORDER.learnt).containsExactly("spam:Subject: one\r\n\r\none");
        } finally {
            RECORDER.onStop = () -> { };
            if (closer.getState() == Thread.State.NEW) server.close();
            closer.join();
        }
    }

    @Test
    void withoutALearnerOrAServerOrFoldersItSaysWhyInOneLine() throws Exception {
        message("spam/1", "one");
        String spam = mail.resolve("spam").toString();
        HeraldRun none = herald("spam", "train", "--spam", spam);
        assertThat(none.exit()).isEqualTo(ExitCodes.FAILURE);
        assertThat(none.err()).startsWith("herald: no running server").hasLineCount(1);

        try (HeraldServer server = server(new NoLearnerPlugin())) {
            HeraldRun r = herald("spam", "train", "--spam", spam);
            assertThat(r.exit()).isEqualTo(ExitCodes.FAILURE);
            assertThat(r.err()).isEqualTo("herald: the server refused (409): no spam learner is active (herald plugins lists "
                    + "the plugins; spam-bayes learns)" + System.lineSeparator());

            HeraldRun noFolders = herald("spam", "train");       // a wrong command line, as in the table of exit codes
            assertThat(noFolders.exit()).isEqualTo(ExitCodes.USAGE);
            assertThat(noFolders.err()).startsWith("give --spam DIR and/or --ham DIR").contains("Usage: herald spam train");

            HeraldRun notAFolder = herald("spam", "train", "--ham", mail.resolve("spam/1").toString());
            assertThat(notAFolder.exit()).isEqualTo(ExitCodes.FAILURE);
            assertThat(notAFolder.err()).contains("not a folder: " + mail.resolve("spam/1"));

            assertThat(herald("spam").exit()).isEqualTo(ExitCodes.USAGE);
        }
    }
}
