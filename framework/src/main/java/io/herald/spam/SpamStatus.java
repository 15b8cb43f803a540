package io.herald.spam;

import io.herald.api.mailbox.Folders;
import io.herald.api.smtp.HeaderField;

import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A parsed {@code X-Spam-Status} value ({@code Yes, score=7.2 required=5.0 tests=...}), as written by this chain
 * and by SpamAssassin.
 *
 * <p>{@link #folderFor(List)} is what local delivery asks: it reads only the header fields that this hop's hooks
 * added (kept with the queue entry, {@code QueueEntry.addedHeaders()}), never the fields inside the received
 * message, which anyone upstream may have written.
 */
public record SpamStatus(boolean spam, OptionalDouble score) {

    private static final Pattern SCORE = Pattern.compile("(?:^|[\\s,])score=(-?\\d+(?:\\.\\d+)?)");

    public static Optional<SpamStatus> parse(String value) {
        if (value == null) return Optional.empty();
        String v = value.strip();
        boolean yes = v.regionMatches(true, 0, "Yes", 0, 3);
        boolean no = v.regionMatches(true, 0, "No", 0, 2);
        if (!yes && !no) return Optional.empty();
        Matcher m = SCORE.matcher(v);
        OptionalDouble score = OptionalDouble.empty();
        if (m.find()) {
            try {
                score = OptionalDouble.of(Double.parseDouble(m.group(1)));
            } catch (NumberFormatException ignored) {
                // a score we cannot read: the Yes/No still counts
            }
        }
        return Optional.of(new SpamStatus(yes, score));
    }

    /**
     * True when this hop's spam chain said "Yes": the last {@code X-Spam-Status} among the header fields added at
     * this hop (the queue entry's added headers).
     */
    public static boolean junk(List<HeaderField> addedByThisHop) {
        Optional<SpamStatus> last = Optional.empty();
        for (HeaderField h : addedByThisHop) {
            if (h.name().equalsIgnoreCase(SpamChain.STATUS_HEADER)) last = parse(h.value());
        }
        return last.map(SpamStatus::spam).orElse(false);
    }

    /** {@link Folders#JUNK} when {@link #junk} says so, else {@link Folders#INBOX}. */
    public static String folderFor(List<HeaderField> addedByThisHop) {
        return junk(addedByThisHop) ? Folders.JUNK : Folders.INBOX;
    }
}
