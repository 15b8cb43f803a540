package io.herald.plugin.mailbox;

import io.herald.api.config.Configuration;
import io.herald.api.mail.MessageContent;
import io.herald.api.mailbox.Delivery;
import io.herald.api.mailbox.Folders;
import io.herald.api.mailbox.MailboxEvent;
import io.herald.api.mailbox.MailboxEventPublisher;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

final class TestSupport {
    private TestSupport() { }

    record MapConfig(Map<String, String> values) implements Configuration {
        @Override public String pid() { return "mailbox-lucene"; }
        @Override public Optional<String> get(String key) { return Optional.ofNullable(values.get(key)); }
        @Override public Set<String> keys() { return values.keySet(); }
    }

    static final Configuration CONFIG = new MapConfig(Map.of());

    static final class Events implements MailboxEventPublisher {
        final List<MailboxEvent> all = new CopyOnWriteArrayList<>();
        @Override public void publish(MailboxEvent event) { all.add(event); }
        <T extends MailboxEvent> List<T> of(Class<T> type) {
            return all.stream().filter(type::isInstance).map(type::cast).toList();
        }
    }

    static Path corpus() {
        String p = System.getProperty("herald.corpus");
        if (p == null) throw new IllegalStateException("system property herald.corpus is not set (run through Maven)");
        return Path.of(p);
    }

    /** The message files below a corpus folder, sorted, skipping README/licence files. */
    static List<Path> messages(String folder) throws IOException {
        try (Stream<Path> s = Files.walk(corpus().resolve(folder))) {
            return s.filter(Files::isRegularFile)
                    .filter(p -> !p.getFileName().toString().matches("(?i)(readme.*|licen[cs]e.*|.*\\.md)"))
                    .sorted().toList();
        }
    }

    static Delivery delivery(String mailbox, String folder, byte[] bytes, String key) {
        return new Delivery(mailbox, folder, MessageContent.of(bytes), key, Instant.parse("2026-01-02T03:04:05Z"), Set.of());
    }

    static Delivery inbox(String mailbox, byte[] bytes, String key) {
        return delivery(mailbox, Folders.INBOX, bytes, key);
    }

    static byte[] read(MessageContent c) throws IOException {
        try (InputStream in = c.open()) {
            return in.readAllBytes();
        }
    }

    static byte[] message(String subject, String body) {
        return ("From: Elsa <elsa@herald.test>\r\nTo: olaf@herald.test\r\nSubject: " + subject
                + "\r\nMessage-ID: <" + subject.hashCode() + "@herald.test>\r\n\r\n" + body + "\r\n")
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }
}
