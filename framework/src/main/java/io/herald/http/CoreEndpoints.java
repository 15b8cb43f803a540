package io.herald.http;

import io.herald.api.config.ServerIdentity;
import io.herald.api.http.HttpEndpoint;
import io.herald.api.http.HttpRequest;
import io.herald.api.http.HttpResponse;
import io.herald.api.mail.MailAddress;
import io.herald.api.mail.MessageContent;
import io.herald.api.notify.TestEvent;
import io.herald.api.spam.SpamLearner;
import io.herald.host.ExtensionRegistry;
import io.herald.notify.EventDispatcher;
import io.herald.notify.SinkOutcome;
import io.herald.notify.SinkStats;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * The core's own paths on the HTTP listener:
 *
 * <ul>
 *   <li>{@code GET /health}: {@code 200 {"status":"up",...}} when a mailbox store is active, else {@code 503}
 *       with {@code "starting"} (for load balancers and {@code curl -f});</li>
 *   <li>{@code GET /metrics}: Prometheus text format (version 0.0.4): per notification sink its counts, plus
 *       active plugins;</li>
 *   <li>{@code GET /admin/notify/sinks}: the sinks and their counts (JSON);</li>
 *   <li>{@code POST /admin/notify/test?address=A[&wait=10s]}: a test event ({@link TestEvent}) through every sink,
 *       and what each did within the wait (JSON), as {@code herald notify test} prints it;</li>
 *   <li>{@code POST /admin/spam/learn?as=spam|ham} with a message as the body (at most {@value #MAX_LEARN_SIZE}
 *       octets): every active {@link SpamLearner} learns it; JSON with what each did ({@code herald spam train});</li>
 *   <li>{@code POST /admin/spam/flush}: every active learner writes what it learnt to stable storage.</li>
 * </ul>
 */
public final class CoreEndpoints {

    /** The largest message {@code /admin/spam/learn} takes, in octets. */
    public static final int MAX_LEARN_SIZE = 32 * 1024 * 1024;

    private CoreEndpoints() { }

    public static void addTo(HttpListener http, ExtensionRegistry registry, EventDispatcher notifications,
                             ServerIdentity identity, Clock clock) {
        http.route(endpoint("/health", (req, res) -> {
            if (!req.method().equals("GET") && !req.method().equals("HEAD")) {
                methodNotAllowed(res, "GET");
                return;
            }
            boolean store = registry.snapshot().mailboxStore().isPresent();
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("status", store ? "up" : "starting");
            body.put("mailboxStore", store);
            body.put("plugins", registry.plugins().size());
            Json.send(res, store ? 200 : 503, body);
        }));
        http.route(endpoint("/metrics", (req, res) -> {
            if (!req.method().equals("GET")) {
                methodNotAllowed(res, "GET");
                return;
            }
            res.send(200, "text/plain; version=0.0.4; charset=utf-8",
                    metrics(registry, notifications.stats()).getBytes(StandardCharsets.UTF_8));
        }));
        http.route(endpoint(HttpListener.ADMIN + "/notify/sinks", (req, res) -> {
            List<Object> out = new ArrayList<>();
            for (SinkStats s : notifications.stats()) out.add(statsJson(s));
            Json.send(res, 200, Map.of("sinks", out));
        }));
        http.route(endpoint(HttpListener.ADMIN + "/notify/test", (req, res) -> {
            if (!req.method().equals("POST")) {
                methodNotAllowed(res, "POST");
                return;
            }
            String address = req.query("address").orElse("").trim();
            int at = address.lastIndexOf('@');
            if (at <= 0 || at == address.length() - 1 || !MailAddress.isDotString(address.substring(0, at))
                    || address.chars().anyMatch(c -> c <= ' ')) {
                Json.send(res, 400, Map.of("error", "address: '" + address + "' is not a mail address (user@domain)"));
                return;
            }
            MailAddress parsed = new MailAddress(address.substring(0, at), address.substring(at + 1));
            Duration wait;
            try {
                wait = parseWait(req.query("wait").orElse("10s"));
            } catch (IllegalArgumentException e) {
                Json.send(res, 400, Map.of("error", e.getMessage()));
                return;
            }
            String mailbox = parsed.canonical();
            var event = TestEvent.of(mailbox, "postmaster@" + identity.hostname(), clock.instant());
            List<EventDispatcher.TestResult> results;
            try {
                results = notifications.test(event, wait);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
            List<Object> sinks = new ArrayList<>();
            for (EventDispatcher.TestResult r : results) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("plugin", r.plugin());
                m.put("sink", r.sink());
                m.put("outcome", outcomeName(r.outcome()));
                m.put("detail", r.describe());
                sinks.add(m);
            }
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("mailbox", mailbox);
            body.put("sinks", sinks);
            Json.send(res, 200, body);
        }));
        http.route(endpoint(HttpListener.ADMIN + "/spam/learn", (req, res) -> {
            if (!req.method().equals("POST")) {
                methodNotAllowed(res, "POST");
                return;
            }
            String as = req.query("as").orElse("");
            if (!as.equals("spam") && !as.equals("ham")) {
                Json.send(res, 400, Map.of("error", "as: 'spam' or 'ham', not '" + as + "'"));
                return;
            }
            List<SpamLearner> learners = registry.snapshot().spamLearners();
            if (learners.isEmpty()) {
                Json.send(res, 409, Map.of("error", "no spam learner is active (herald plugins lists the plugins; spam-bayes learns)"));
                return;
            }
            byte[] message = req.body().readNBytes(MAX_LEARN_SIZE + 1);
            if (message.length > MAX_LEARN_SIZE) {
                Json.send(res, 413, Map.of("error", "the message is larger than " + MAX_LEARN_SIZE + " octets"));
                return;
            }
            if (message.length == 0) {
                Json.send(res, 400, Map.of("error", "no message: the request body is empty"));
                return;
            }
            boolean spam = as.equals("spam");
            Json.send(res, 200, Map.of("learners", eachLearner(learners, "learnt", l -> l.learn(MessageContent.of(message), spam))));
        }));
        http.route(endpoint(HttpListener.ADMIN + "/spam/flush", (req, res) -> {
            if (!req.method().equals("POST")) {
                methodNotAllowed(res, "POST");
                return;
            }
            Json.send(res, 200, Map.of("learners", eachLearner(registry.snapshot().spamLearners(), "flushed", SpamLearner::flush)));
        }));
    }

    /** What a learner is asked to do. */
    private interface LearnerAction {
        void apply(SpamLearner learner) throws IOException;
    }

    /** Asks each learner in turn; one that fails does not keep the others from it. */
    private static List<Object> eachLearner(List<SpamLearner> learners, String done, LearnerAction action) {
        List<Object> out = new ArrayList<>();
        for (SpamLearner l : learners) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("learner", l.name());
            try {
                action.apply(l);
                m.put("outcome", done);
            } catch (Exception | LinkageError e) {
                m.put("outcome", "failed");
                m.put("detail", e.toString());
            }
            out.add(m);
        }
        return out;
    }

    static Duration parseWait(String s) {
        String allowed = "wait: a number of seconds from 0 to 300, optionally followed by s";
        String n = s.endsWith("s") ? s.substring(0, s.length() - 1) : s;
        try {
            long v = Long.parseLong(n);
            if (v < 0 || v > 300) throw new IllegalArgumentException(allowed + ", not '" + s + "'");
            return Duration.ofSeconds(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(allowed + ", not '" + s + "'");
        }
    }

    static String outcomeName(SinkOutcome o) {
        if (o instanceof SinkOutcome.Delivered) return "delivered";
        if (o instanceof SinkOutcome.NotAccepted) return "not-accepted";
        if (o instanceof SinkOutcome.NotConfigured) return "not-configured";
        if (o instanceof SinkOutcome.GivenUp) return "gave-up";
        if (o instanceof SinkOutcome.Dropped) return "dropped";
        if (o instanceof SinkOutcome.Retrying) return "retrying";
        return "queued";
    }

    private static Map<String, Object> statsJson(SinkStats s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("plugin", s.plugin());
        m.put("sink", s.sink());
        m.put("queued", s.queued());
        m.put("retrying", s.retrying());
        m.put("delivered", s.delivered());
        m.put("retries", s.retries());
        m.put("givenUp", s.givenUp());
        m.put("dropped", s.dropped());
        m.put("notAccepted", s.notAccepted());
        m.put("lastError", s.lastError());
        return m;
    }

    static String metrics(ExtensionRegistry registry, List<SinkStats> sinks) {
        StringBuilder b = new StringBuilder();
        b.append("# HELP herald_plugins_active Plugins whose contributions are in use.\n# TYPE herald_plugins_active gauge\n");
        b.append("herald_plugins_active ").append(registry.plugins().size()).append('\n');
        b.append("# HELP herald_mailbox_store_active 1 when a mailbox store plugin is active.\n# TYPE herald_mailbox_store_active gauge\n");
        b.append("herald_mailbox_store_active ").append(registry.snapshot().mailboxStore().isPresent() ? 1 : 0).append('\n');
        metric(b, sinks, "herald_notify_queued", "gauge", "Events waiting for a first attempt.", s -> (long) s.queued());
        metric(b, sinks, "herald_notify_retrying", "gauge", "Events waiting for a retry.", s -> (long) s.retrying());
        metric(b, sinks, "herald_notify_delivered_total", "counter", "Events the sink took.", SinkStats::delivered);
        metric(b, sinks, "herald_notify_retries_total", "counter", "Attempts that asked for a retry.", SinkStats::retries);
        metric(b, sinks, "herald_notify_given_up_total", "counter", "Events given up after failed attempts.", SinkStats::givenUp);
        metric(b, sinks, "herald_notify_dropped_total", "counter", "Events never attempted (queue full, sink withdrawn).", SinkStats::dropped);
        metric(b, sinks, "herald_notify_not_accepted_total", "counter", "Events outside the sink's filter.", SinkStats::notAccepted);
        return b.toString();
    }

    private static void metric(StringBuilder b, List<SinkStats> sinks, String name, String type, String help, Function<SinkStats, Long> value) {
        b.append("# HELP ").append(name).append(' ').append(help).append('\n');
        b.append("# TYPE ").append(name).append(' ').append(type).append('\n');
        for (SinkStats s : sinks) {
            b.append(name).append("{plugin=\"").append(label(s.plugin())).append("\",sink=\"").append(label(s.sink()))
                    .append("\"} ").append(value.apply(s)).append('\n');
        }
    }

    private static String label(String v) {
        return v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }

    private static void methodNotAllowed(HttpResponse res, String allow) throws IOException {
        res.header("Allow", allow);
        Json.send(res, 405, Map.of("error", "method not allowed; use " + allow));
    }

    interface Handler {
        void handle(HttpRequest req, HttpResponse res) throws IOException;
    }

    static HttpEndpoint endpoint(String path, Handler h) {
        return new HttpEndpoint() {
            @Override public String path() { return path; }
            @Override public void handle(HttpRequest request, HttpResponse response) throws IOException { h.handle(request, response); }
        };
    }
}
