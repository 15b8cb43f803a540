package org.example.herald.attachments;

import io.herald.api.config.Configuration;
import io.herald.api.mail.Envelope;
import io.herald.api.mail.MessageContent;
import io.herald.api.smtp.HookResult;
import io.herald.api.smtp.SessionInfo;
import io.herald.api.smtp.SmtpHook;
import jakarta.inject.Inject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * At the end of DATA, reads the message's MIME structure and refuses it with {@code 550 5.7.1} when a part's file
 * name ends in a blocked extension or its media type is blocked; a message nested too deeply or with too many parts
 * to check is refused with {@code 554 5.6.0}. Configuration ({@code conf/attachment-blocker.cfg}):
 * <ul>
 *   <li>{@code extensions}: blocked file name extensions, without the dot, case-insensitive (default: {@link #DEFAULT_EXTENSIONS});</li>
 *   <li>{@code contentTypes}: blocked media types (default {@code application/x-msdownload, application/x-msdos-program,
 *       application/x-ms-installer, application/hta});</li>
 *   <li>{@code maxDepth} (default 10) and {@code maxParts} (default 500): limits of the structure checked.</li>
 * </ul>
 * File names are compared the way Windows opens them: trailing dots and spaces dropped ({@code "evil.exe. "} is an
 * {@code .exe}). Runs off the network threads with the core's time limit; reads the spooled message as a stream.
 * When the spool cannot be read the hook throws, and the core's policy for hooks (fail open, logged) applies.
 */
public final class AttachmentBlockerHook implements SmtpHook {

    private static final Logger log = LoggerFactory.getLogger(AttachmentBlockerHook.class);

    static final List<String> DEFAULT_EXTENSIONS = List.of("ade", "adp", "app", "bat", "chm", "cmd", "com", "cpl", "exe",
            "hta", "ins", "isp", "jar", "js", "jse", "lnk", "msc", "msi", "msp", "mst", "pif", "ps1", "reg", "scr", "sct",
            "shb", "sys", "vb", "vbe", "vbs", "vxd", "wsc", "wsf", "wsh");
    static final List<String> DEFAULT_TYPES = List.of("application/x-msdownload", "application/x-msdos-program",
            "application/x-ms-installer", "application/hta");

    private final Set<String> extensions;
    private final Set<String> contentTypes;
    private final AttachmentScanner scanner;

    @Inject
    public AttachmentBlockerHook(Configuration config) {
        this.extensions = lower(config.getList("extensions", DEFAULT_EXTENSIONS));
        for (String e : extensions) {
            if (!e.matches("[a-z0-9_-]{1,16}")) throw config.invalid("extensions", e, "extensions without the dot, such as exe, js");
        }
        this.contentTypes = lower(config.getList("contentTypes", DEFAULT_TYPES));
        for (String t : contentTypes) {
            if (!t.matches("[a-z0-9!#$&^_.+-]+/[a-z0-9!#$&^_.+-]+")) throw config.invalid("contentTypes", t, "media types such as application/x-msdownload");
        }
        this.scanner = new AttachmentScanner(config.getInt("maxDepth", 10, 1, 100), config.getInt("maxParts", 500, 1, 100_000));
        log.info("attachment-blocker: {} extensions, {} media types blocked", extensions.size(), contentTypes.size());
    }

    @Override
    public HookResult onMessage(SessionInfo session, Envelope envelope, MessageContent message) {
        List<AttachmentScanner.Part> parts;
        try (InputStream in = message.open()) {
            parts = scanner.scan(in);
        } catch (AttachmentScanner.TooComplexException e) {
            log.info("{}: message refused: {}", session.sessionId(), e.getMessage());
            return HookResult.reject(554, "5.6.0", "message refused: " + e.getMessage() + "; it cannot be checked for attachments");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the spooled message", e);
        }
        for (AttachmentScanner.Part p : parts) {
            Optional<String> reason = blocked(p);
            if (reason.isPresent()) {
                log.info("{}: message from {} refused: {}", session.sessionId(), envelope.reversePath().map(Object::toString).orElse("<>"), reason.get());
                return HookResult.reject(550, "5.7.1", "message refused: " + reason.get() + " is not accepted here");
            }
        }
        return HookResult.next();
    }

    /** Why a part is blocked, if it is. */
    Optional<String> blocked(AttachmentScanner.Part p) {
        if (contentTypes.contains(p.contentType())) return Optional.of("an attachment of type " + p.contentType());
        if (p.filename().isPresent()) {
            String name = windowsName(p.filename().get());
            int dot = name.lastIndexOf('.');
            if (dot >= 0) {
                String ext = name.substring(dot + 1).toLowerCase(Locale.ROOT);
                if (extensions.contains(ext)) return Optional.of("attachment \"" + printable(p.filename().get()) + "\" (." + ext + ")");
            }
        }
        return Optional.empty();
    }

    /** The name Windows would open: the last path element, trailing dots and spaces dropped. */
    private static String windowsName(String name) {
        int slash = Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\'));
        String n = name.substring(slash + 1);
        int end = n.length();
        while (end > 0 && (n.charAt(end - 1) == '.' || n.charAt(end - 1) == ' ')) end--;
        return n.substring(0, end);
    }

    /** A file name fit for an SMTP reply line: US-ASCII printable, at most 60 characters. */
    private static String printable(String name) {
        StringBuilder b = new StringBuilder();
        for (char c : name.toCharArray()) b.append(c >= 0x20 && c < 0x7f && c != '"' ? c : '?');
        return b.length() > 60 ? b.substring(0, 57) + "..." : b.toString();
    }

    private static Set<String> lower(List<String> items) {
        return items.stream().map(s -> s.toLowerCase(Locale.ROOT)).collect(Collectors.toUnmodifiableSet());
    }
}
