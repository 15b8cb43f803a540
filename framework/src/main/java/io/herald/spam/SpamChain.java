package io.herald.spam;

import io.herald.api.mail.Envelope;
import io.herald.api.mail.MessageContent;
import io.herald.api.smtp.HeaderField;
import io.herald.api.smtp.SessionInfo;
import io.herald.api.spam.MessageHeaders;
import io.herald.api.spam.SpamCheck;
import io.herald.api.spam.SpamFilter;
import io.herald.api.spam.SpamVerdict;
import io.herald.api.spam.SpamVerdict.Reason;
import io.herald.host.ExtensionRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Runs every {@link SpamFilter} on a message, adds up their scores and decides: {@link SpamDecision.Deliver},
 * {@link SpamDecision.Junk} or {@link SpamDecision.Reject} (DESIGN §4, "Spam at every hop").
 *
 * <ul>
 *   <li>Filters run concurrently on a bounded pool ({@code threads}, {@code queue}), each with a time limit
 *       (the smaller of its own {@link SpamFilter#timeLimit()} and {@code filter.timeout}). One that throws, times
 *       out or finds the pool full is skipped: it counts 0, a warning is logged and {@code skipped=} names it
 *       (fail open: a broken filter never loses or blocks mail).</li>
 *   <li>Header fields a filter returns with its verdict ({@link SpamVerdict#headers()}, e.g.
 *       {@code Authentication-Results}) are added below {@code X-Spam-Score} and {@code X-Spam-Status}; a skipped
 *       filter adds none.</li>
 *   <li>Thresholds: {@code junk}/{@code reject} for mail from other servers, {@code submission.junk}/
 *       {@code submission.reject} for authenticated clients.</li>
 *   <li>Upstream verdicts: the topmost {@code X-Spam-Status} of the message is believed only when the client's
 *       address is in {@code trusted.relays}; then a "Yes" with a score above ours raises ours to it (reason
 *       {@code UPSTREAM_SPAM}). From any other client the inbound {@code X-Spam-*} fields mean nothing: they never
 *       change a score or a decision here, and the fields this hop adds go above them, so the next hop (which
 *       reads the topmost) and local delivery (which reads only the fields added by this hop's hooks) never see a
 *       forged verdict as ours.</li>
 * </ul>
 */
public final class SpamChain implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SpamChain.class);

    public static final String SCORE_HEADER = "X-Spam-Score";
    public static final String STATUS_HEADER = "X-Spam-Status";

    private final Supplier<List<SpamFilter>> filters;
    private final SpamSettings settings;
    private final ThreadPoolExecutor pool;

    /** @param filters the filters to run, asked once per message (so plugins may come and go) */
    public SpamChain(Supplier<List<SpamFilter>> filters, SpamSettings settings) {
        this.filters = Objects.requireNonNull(filters, "filters");
        this.settings = Objects.requireNonNull(settings, "settings");
        BlockingQueue<Runnable> q = settings.queue() == 0 ? new SynchronousQueue<>() : new ArrayBlockingQueue<>(settings.queue());
        AtomicInteger n = new AtomicInteger();
        this.pool = new ThreadPoolExecutor(settings.threads(), settings.threads(), 30, TimeUnit.SECONDS, q, r -> {
            Thread t = new Thread(r, "herald-spam-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.pool.allowCoreThreadTimeOut(true);
    }

    /** A chain over the filters active in the registry at each message. */
    public static SpamChain of(ExtensionRegistry registry, SpamSettings settings) {
        return new SpamChain(() -> registry.snapshot().spamFilters(), settings);
    }

    public SpamSettings settings() {
        return settings;
    }

    /**
     * Scores a message and decides.
     *
     * @throws IOException when the message's header section cannot be read (the caller fails open)
     */
    public SpamDecision evaluate(SessionInfo session, Envelope envelope, MessageContent message) throws IOException {
        if (!settings.enabled()) return new SpamDecision.Deliver(0, List.of());
        List<SpamFilter> active = new ArrayList<>(filters.get());
        if (active.isEmpty()) return new SpamDecision.Deliver(0, List.of()); // no filter, no verdict to record
        SpamCheck check = new SpamCheck(session, envelope, message, MessageHeaders.read(message));
        active.sort(Comparator.comparingInt(SpamFilter::priority));

        long start = System.nanoTime();
        List<Future<SpamVerdict>> futures = new ArrayList<>(active.size());
        for (SpamFilter f : active) {
            try {
                futures.add(pool.submit(() -> f.score(check)));
            } catch (RejectedExecutionException e) {
                futures.add(null);
            }
        }

        List<Reason> reasons = new ArrayList<>();
        List<HeaderField> filterHeaders = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        double score = 0;
        for (int i = 0; i < active.size(); i++) {
            SpamFilter f = active.get(i);
            String name = safeName(f);
            Future<SpamVerdict> fut = futures.get(i);
            if (fut == null) {
                log.warn("spam filter {} skipped for session {}: all {} spam threads busy and the queue full",
                        name, session.sessionId(), settings.threads());
                skipped.add(name + "(busy)");
                continue;
            }
            Duration limit = f.timeLimit().filter(d -> d.compareTo(settings.filterTimeout()) < 0).orElse(settings.filterTimeout());
            long left = limit.toNanos() - (System.nanoTime() - start);
            try {
                SpamVerdict v = fut.get(Math.max(left, 0), TimeUnit.NANOSECONDS);
                if (v == null) v = SpamVerdict.NONE;
                score += v.score();
                reasons.addAll(v.reasons());
                filterHeaders.addAll(v.headers());
            } catch (TimeoutException e) {
                fut.cancel(true);
                log.warn("spam filter {} skipped for session {}: no answer within {}", name, session.sessionId(), limit);
                skipped.add(name + "(timeout)");
            } catch (ExecutionException e) {
                log.warn("spam filter {} skipped for session {}: {}", name, session.sessionId(), e.getCause().toString(), e.getCause());
                skipped.add(name + "(error)");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fut.cancel(true);
                skipped.add(name + "(interrupted)");
            }
        }

        if (trusted(session)) {
            Optional<SpamStatus> upstream = check.headers().first(STATUS_HEADER).flatMap(SpamStatus::parse);
            if (upstream.isPresent() && upstream.get().spam()) {
                double theirs = upstream.get().score().orElse(0.0);
                double raise = Math.max(0.0, theirs - score);
                reasons.add(new Reason("UPSTREAM_SPAM", raise, "trusted relay " + addressOf(session).getHostAddress()
                        + " said spam, score=" + fmt(theirs)));
                score += raise;
            }
        }

        SpamSettings.Thresholds t = session.authenticatedUser().isPresent() ? settings.submission() : settings.mta();
        boolean spam = score >= t.junk();
        List<HeaderField> headers = new ArrayList<>(headers(score, spam, t.junk(), reasons, skipped));
        headers.addAll(filterHeaders); // e.g. Authentication-Results; X-Spam-Score and X-Spam-Status stay first
        if (score >= t.reject()) {
            return new SpamDecision.Reject(score, "Message refused as spam (score=" + fmt(score) + " required="
                    + fmt(t.reject()) + ")", headers);
        }
        return spam ? new SpamDecision.Junk(score, headers) : new SpamDecision.Deliver(score, headers);
    }

    private boolean trusted(SessionInfo session) {
        InetAddress a = addressOf(session);
        return a != null && settings.trustedRelays().contains(a);
    }

    private static InetAddress addressOf(SessionInfo session) {
        return session.remote() == null ? null : session.remote().getAddress();
    }

    private static String safeName(SpamFilter f) {
        try {
            String n = f.name();
            return n == null || n.isBlank() ? f.getClass().getSimpleName() : n.replaceAll("[^A-Za-z0-9_.-]", "_");
        } catch (RuntimeException e) {
            return f.getClass().getSimpleName();
        }
    }

    /** {@code X-Spam-Score} and a SpamAssassin-like {@code X-Spam-Status}. */
    static List<HeaderField> headers(double score, boolean spam, double required, List<Reason> reasons, List<String> skipped) {
        List<String> names = reasons.stream().map(Reason::name).distinct().sorted().toList();
        StringBuilder status = new StringBuilder(spam ? "Yes" : "No")
                .append(", score=").append(fmt(score))
                .append(" required=").append(fmt(required))
                .append(" tests=").append(names.isEmpty() ? "none" : String.join(",", names));
        if (!skipped.isEmpty()) status.append(" skipped=").append(String.join(",", skipped));
        return List.of(new HeaderField(SCORE_HEADER, fmt(score)), new HeaderField(STATUS_HEADER, status.toString()));
    }

    static String fmt(double d) {
        return String.format(Locale.ROOT, "%.1f", d);
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
