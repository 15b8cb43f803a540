package io.herald.queue;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;

/**
 * The queued messages a bulk command ({@code herald queue delete --all}) acts on: every one, or only those with a
 * recipient still to do in a domain ({@code --to}) and/or from a sender ({@code --from}); both filters must match.
 *
 * <p>It travels to a running server as the words after {@code delete all} in a request of {@link QueueAdmin}:
 * {@code to=DOMAIN} and {@code from=<ADDRESS>}, URL-encoded (a quoted local part may hold a space).
 *
 * @param toDomain   a recipient domain, lower-case; matches a message with an unfinished recipient there
 * @param reversePath the sender as the queue writes it ({@code <elsa@arendelle.test>}, {@code <>} for bounces)
 */
public record QueueSelection(Optional<String> toDomain, Optional<String> reversePath) {

    /** Every queued message. */
    public static final QueueSelection ALL = new QueueSelection(Optional.empty(), Optional.empty());

    public QueueSelection {
        toDomain = toDomain.map(d -> d.toLowerCase(Locale.ROOT));
    }

    public boolean matches(QueueEntry.EntryInfo e) {
        if (reversePath.isPresent() && !reversePath.get().equals(e.reversePath())) return false;
        return toDomain.isEmpty() || e.recipients().stream()
                .anyMatch(r -> !r.finished() && r.recipient().domain().equals(toDomain.get()));
    }

    /** The words after {@code delete all} in a request; empty for {@link #ALL}. */
    String words() {
        StringBuilder b = new StringBuilder();
        toDomain.ifPresent(d -> b.append(" to=").append(URLEncoder.encode(d, StandardCharsets.UTF_8)));
        reversePath.ifPresent(f -> b.append(" from=").append(URLEncoder.encode(f, StandardCharsets.UTF_8)));
        return b.toString();
    }

    /** Reads the words after {@code delete all}: {@code to=...}, {@code from=...}, each at most once. */
    static QueueSelection parse(String[] words, int start) {
        Optional<String> to = Optional.empty();
        Optional<String> from = Optional.empty();
        for (int k = start; k < words.length; k++) {
            String w = words[k];
            if (w.startsWith("to=") && to.isEmpty()) to = Optional.of(URLDecoder.decode(w.substring(3), StandardCharsets.UTF_8));
            else if (w.startsWith("from=") && from.isEmpty()) from = Optional.of(URLDecoder.decode(w.substring(5), StandardCharsets.UTF_8));
            else throw new IllegalArgumentException("unexpected '" + w + "' after 'delete all'; expected to=DOMAIN or from=ADDRESS");
        }
        return new QueueSelection(to, from);
    }

    /** For the answer: "" for every message, else " with a recipient at example.org from <a@b>". */
    String describe() {
        return toDomain.map(d -> " with a recipient at " + d).orElse("") + reversePath.map(f -> " from " + f).orElse("");
    }

    static String deleted(int n, QueueSelection selection) {
        return "ok deleted " + n + (n == 1 ? " message" : " messages") + selection.describe() + " (no bounce is sent)";
    }
}
