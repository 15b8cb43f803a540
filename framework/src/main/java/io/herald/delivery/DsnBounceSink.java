package io.herald.delivery;

import io.herald.api.config.ServerIdentity;
import io.herald.api.mail.Envelope;
import io.herald.api.mail.MailAddress;
import io.herald.api.smtp.HeaderField;
import io.herald.api.smtp.SessionInfo;
import io.herald.queue.FileQueue;
import io.herald.queue.QueueEntry;
import io.herald.queue.RecipientState;
import io.herald.queue.Spool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Sends a delivery status notification (RFC 3464) to the reverse-path when recipients fail: one
 * {@code multipart/report; report-type=delivery-status} message per call (per delivery attempt), with a
 * human-readable part naming every failed recipient and its reply, a {@code message/delivery-status} part with a
 * per-recipient block for each ({@code Final-Recipient}, {@code Action: failed}, {@code Status},
 * {@code Remote-MTA}, {@code Diagnostic-Code}), and the original header section as {@code text/rfc822-headers}
 * (RFC 6522; the body is not returned).
 *
 * <p>The DSN is committed into the same durable queue (null reverse-path {@code <>}, so it is never bounced
 * itself, RFC 5321 §4.5.5) before this returns; then a marker per recipient ({@code queue/bounced/<id>.<index>}) is
 * made durable, so a call repeated after a crash (see {@link BounceSink}) does not send a second DSN. A crash between
 * the commit and the markers can still send one twice: at least once, never none. A failure of a message with the
 * null reverse-path is logged and not bounced.
 */
public final class DsnBounceSink implements BounceSink {

    private static final Logger log = LoggerFactory.getLogger(DsnBounceSink.class);
    private static final DateTimeFormatter RFC5322_DATE = DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z", Locale.ENGLISH);
    /** {@code ... (remote: host[address]:port)} as the outbound client writes it. */
    private static final Pattern REMOTE = Pattern.compile(" \\(remote: ([^\\[\\s]+)\\[([^\\]]+)\\]:(\\d+)\\)$");
    private static final Pattern ENHANCED = Pattern.compile("^\\d{3} ([245]\\.\\d{1,3}\\.\\d{1,3})(?: |$)");
    private static final int MAX_RETURNED_HEADER = 64 * 1024;

    private final FileQueue queue;
    private final ServerIdentity identity;
    private final Clock clock;
    private final Path markers;

    public DsnBounceSink(FileQueue queue, ServerIdentity identity, Clock clock) {
        this.queue = queue;
        this.identity = identity;
        this.clock = clock;
        this.markers = queue.directory().resolve("bounced");
    }

    /** Removes the markers of entries that have left the queue (call after the queue started). */
    public void cleanUp() throws IOException {
        if (!Files.isDirectory(markers)) return;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(markers)) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                int dot = name.indexOf('.');
                if (dot > 0 && queue.entry(name.substring(0, dot)).isEmpty()) Files.deleteIfExists(p);
            }
        }
    }

    @Override
    public void permanentFailures(QueueEntry entry, List<RecipientState> failures) throws Exception {
        if (entry.envelope().isNullSender()) {
            log.warn("delivery {}: not bouncing a message with the null reverse-path (RFC 5321 4.5.5); failed: {}",
                    entry.id(), failures.stream().map(f -> f.recipient() + " " + f.lastReply()).toList());
            return;
        }
        List<RecipientState> fresh = new ArrayList<>();
        for (RecipientState f : failures) if (!Files.exists(marker(entry, f))) fresh.add(f);
        if (fresh.isEmpty()) return;
        MailAddress to = entry.envelope().reversePath().orElseThrow();
        byte[] dsn = render(entry, fresh);
        boolean utf8 = !ascii(dsn);
        Envelope envelope = new Envelope(Optional.empty(), List.of(to), utf8 ? Map.of("BODY", "8BITMIME") : Map.of());
        InetSocketAddress here = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        SessionInfo session = new SessionInfo("dsn-" + entry.id(), "bounce", here, here, Optional.of(identity.hostname()),
                true, false, Optional.empty());
        Spool spool = queue.open(session, envelope);
        try {
            spool.write(dsn, 0, dsn.length);
        } catch (IOException e) {
            spool.discard();
            throw e;
        }
        spool.commit(List.of()).get(60, TimeUnit.SECONDS);
        Files.createDirectories(markers);
        for (RecipientState f : fresh) {
            Path m = marker(entry, f);
            if (!Files.exists(m)) Files.createFile(m);
        }
        try (FileChannel d = FileChannel.open(markers, StandardOpenOption.READ)) {
            d.force(true);
        }
        log.info("delivery {}: DSN {} queued to {} for {}", entry.id(), spool.id(), to,
                fresh.stream().map(RecipientState::recipient).toList());
    }

    private Path marker(QueueEntry entry, RecipientState f) {
        return markers.resolve(entry.id() + "." + f.index());
    }

    /** The DSN message, CRLF line endings. */
    byte[] render(QueueEntry entry, List<RecipientState> failures) throws IOException {
        String host = identity.hostname();
        ZonedDateTime now = ZonedDateTime.now(clock);
        String boundary = "=_herald-dsn-" + entry.id() + "-" + failures.get(0).index();
        StringBuilder b = new StringBuilder(2048);
        b.append("Date: ").append(RFC5322_DATE.format(now)).append("\r\n");
        b.append("From: Mail Delivery System <MAILER-DAEMON@").append(host).append(">\r\n");
        b.append("To: ").append(entry.envelope().reversePathText()).append("\r\n");
        b.append("Subject: Undelivered Mail Returned to Sender\r\n");
        b.append("Message-ID: <").append(entry.id()).append('.').append(failures.get(0).index()).append(".dsn@").append(host).append(">\r\n");
        // RFC 3834 §5: an automatic reply; keeps vacation responders from answering it
        b.append("Auto-Submitted: auto-replied\r\n");
        b.append("MIME-Version: 1.0\r\n");
        b.append("Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"").append(boundary).append("\"\r\n");
        b.append("\r\n");
        b.append("This is a MIME-encapsulated delivery status notification (RFC 3464).\r\n\r\n");

        b.append("--").append(boundary).append("\r\n");
        b.append("Content-Type: text/plain; charset=utf-8\r\n");
        b.append("Content-Transfer-Encoding: 8bit\r\n\r\n");
        b.append("This is the mail system at ").append(host).append(".\r\n\r\n");
        b.append("Your message (queue id ").append(entry.id()).append(", received ")
                .append(RFC5322_DATE.format(entry.arrival().atZone(clock.getZone()))).append(")\r\n");
        b.append("could not be delivered to ").append(failures.size() == 1 ? "this recipient" : "these recipients")
                .append(". This is a permanent error.\r\n\r\n");
        for (RecipientState f : failures) {
            b.append("<").append(f.recipient()).append(">: ").append(clip(f.lastReply())).append("\r\n");
        }
        b.append("\r\n");

        b.append("--").append(boundary).append("\r\n");
        b.append("Content-Type: message/delivery-status\r\n\r\n");
        // RFC 3464 §2.2: per-message fields
        b.append("Reporting-MTA: dns; ").append(host).append("\r\n");
        b.append("X-Herald-Queue-ID: ").append(entry.id()).append("\r\n");
        b.append("Arrival-Date: ").append(RFC5322_DATE.format(entry.arrival().atZone(clock.getZone()))).append("\r\n");
        for (RecipientState f : failures) {
            // RFC 3464 §2.3: per-recipient fields, each block after an empty line
            b.append("\r\n");
            String reply = f.lastReply();
            Matcher remote = REMOTE.matcher(reply);
            String diagnostic = remote.find() ? reply.substring(0, remote.start()) : reply;
            b.append("Final-Recipient: ").append(ascii(f.recipient().toString()) ? "rfc822; " : "utf-8; ")
                    .append(f.recipient()).append("\r\n");
            b.append("Action: failed\r\n");
            b.append("Status: ").append(status(diagnostic)).append("\r\n");
            remote.reset();
            if (remote.find()) b.append("Remote-MTA: dns; ").append(remote.group(1)).append("\r\n");
            if (diagnostic.matches("^\\d{3}( .*)?$")) b.append("Diagnostic-Code: smtp; ").append(clip(diagnostic)).append("\r\n");
            f.updated().ifPresent(t -> b.append("Last-Attempt-Date: ").append(RFC5322_DATE.format(t.atZone(clock.getZone()))).append("\r\n"));
        }
        b.append("\r\n");

        b.append("--").append(boundary).append("\r\n");
        b.append("Content-Type: text/rfc822-headers\r\n");
        b.append("Content-Transfer-Encoding: 8bit\r\n\r\n");
        ByteArrayOutputStream out = new ByteArrayOutputStream(b.length() + 4096);
        out.write(b.toString().getBytes(StandardCharsets.UTF_8));
        for (HeaderField h : entry.addedHeaders()) out.write(h.render().getBytes(StandardCharsets.UTF_8));
        out.write(headerSection(entry));
        out.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    /** RFC 3464 §2.3.4: the enhanced code of the reply, else one derived from the reply code's class. */
    static String status(String reply) {
        Matcher m = ENHANCED.matcher(reply);
        if (m.find()) return m.group(1);
        return reply.startsWith("4") ? "4.0.0" : "5.0.0";
    }

    /** The original header section (up to the empty line, at most 64 KiB, cut at a line end), CRLF-terminated. */
    private static byte[] headerSection(QueueEntry entry) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(4096);
        try (InputStream in = new java.io.BufferedInputStream(entry.content().open())) {
            ByteArrayOutputStream line = new ByteArrayOutputStream(256);
            int b;
            while ((b = in.read()) >= 0) {
                line.write(b);
                if (b != '\n') continue;
                byte[] l = line.toByteArray();
                line.reset();
                if (l.length <= 2 && (l.length == 1 || l[0] == '\r')) break;
                if (out.size() + l.length > MAX_RETURNED_HEADER) break;
                out.write(l);
            }
        }
        return out.toByteArray();
    }

    private static String clip(String s) {
        String t = s.replaceAll("[\\r\\n]+", " ");
        return t.length() > 900 ? t.substring(0, 900) + "..." : t;
    }

    private static boolean ascii(String s) {
        for (int i = 0; i < s.length(); i++) if (s.charAt(i) > 127) return false;
        return true;
    }

    private static boolean ascii(byte[] b) {
        for (byte x : b) if (x < 0) return false;
        return true;
    }
}
