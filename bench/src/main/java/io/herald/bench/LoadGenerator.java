package io.herald.bench;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

/**
 * An SMTP load generator: C connections send N messages in all, M per connection, and the run reports the messages
 * accepted per second and the latency of each transaction (MAIL FROM to the reply after the end of data), p50 and p99.
 *
 * <p>The first reply that is not the expected 2xx/354 stops the whole run, which is then INVALID (exit code 1): a
 * benchmark that measured refusals measured nothing. So does a run that hits the time limit. Plain sockets, no
 * dependencies: {@code java -jar herald-bench.jar --help}.
 */
public final class LoadGenerator {

    /** The options of one run. */
    public record Options(String host, int port, int messages, int concurrency, int size, Path corpus,
                          int perConnection, boolean pipelining, String from, String to, Duration timeLimit,
                          boolean helo) {
        public static Options defaults() {
            return new Options("127.0.0.1", 2525, 1000, 8, 5 * 1024, null, 10, false,
                    "bench@load.test", "olaf@herald.test", Duration.ofMinutes(10), false);
        }
    }

    /** The result of one run. */
    public record Report(int accepted, int connections, long elapsedNanos, long[] latenciesNanos, String invalidReason) {
        public boolean valid() { return invalidReason == null; }

        public double messagesPerSecond() { return accepted / (elapsedNanos / 1e9); }

        /** The latency at quantile q (0..1) in milliseconds, nearest-rank. */
        public double latencyMillis(double q) {
            if (latenciesNanos.length == 0) return Double.NaN;
            int rank = (int) Math.ceil(q * latenciesNanos.length);
            return latenciesNanos[Math.max(0, Math.min(latenciesNanos.length - 1, rank - 1))] / 1e6;
        }

        public void print(PrintStream out, Options o) {
            out.printf(Locale.ROOT, "target        %s:%d%n", o.host(), o.port());
            out.printf(Locale.ROOT, "messages      %d accepted of %d asked, %d connections, concurrency %d, %d per connection%s%n",
                    accepted, o.messages(), connections, o.concurrency(), o.perConnection(), o.pipelining() ? ", pipelining" : "");
            out.printf(Locale.ROOT, "message size  %s%n", o.corpus() != null ? "corpus " + o.corpus() : o.size() + " bytes (synthetic)");
            out.printf(Locale.ROOT, "elapsed       %.3f s%n", elapsedNanos / 1e9);
            out.printf(Locale.ROOT, "throughput    %.1f msg/s%n", messagesPerSecond());
            out.printf(Locale.ROOT, "latency       p50 %.2f ms, p99 %.2f ms, max %.2f ms (per transaction)%n",
                    latencyMillis(0.50), latencyMillis(0.99), latencyMillis(1.0));
            out.println(valid() ? "result        VALID" : "result        INVALID: " + invalidReason);
        }

        /** The run as one line of key=value pairs, for scripts (bench/postfix-vs-herald.sh). */
        public String summaryLine() {
            return String.format(Locale.ROOT, "SUMMARY valid=%s accepted=%d connections=%d elapsed_s=%.3f msg_per_s=%.1f p50_ms=%.2f p99_ms=%.2f max_ms=%.2f",
                    valid() ? "yes" : "no", accepted, connections, elapsedNanos / 1e9, messagesPerSecond(),
                    latencyMillis(0.50), latencyMillis(0.99), latencyMillis(1.0));
        }
    }

    private final Options options;
    private final List<byte[]> messages;
    private final AtomicInteger next = new AtomicInteger();
    private final AtomicInteger accepted = new AtomicInteger();
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicReference<String> invalid = new AtomicReference<>();
    private volatile long deadline;

    public LoadGenerator(Options options) throws IOException {
        this.options = options;
        this.messages = options.corpus() != null ? loadCorpus(options.corpus()) : List.of(synthetic(options.size()));
        if (messages.isEmpty()) throw new IOException("no messages in " + options.corpus());
    }

    /** Runs the load and waits for it to end. */
    public Report run() throws InterruptedException {
        long start = System.nanoTime();
        deadline = start + options.timeLimit().toNanos();
        List<Thread> threads = new ArrayList<>();
        List<long[]> perThread = new ArrayList<>();
        for (int t = 0; t < options.concurrency(); t++) {
            perThread.add(null);
            int index = t;
            Thread th = new Thread(() -> perThread.set(index, worker()), "bench-" + t);
            threads.add(th);
            th.start();
        }
        for (Thread th : threads) th.join();
        long elapsed = System.nanoTime() - start;
        long[] all = perThread.stream().filter(a -> a != null).flatMapToLong(Arrays::stream).sorted().toArray();
        String reason = invalid.get();
        if (reason == null && accepted.get() < options.messages()) reason = "only " + accepted.get() + " of " + options.messages() + " accepted";
        return new Report(accepted.get(), connections.get(), elapsed, all, reason);
    }

    private synchronized void stop(String reason) {
        invalid.compareAndSet(null, reason);
    }

    private boolean mayContinue() {
        if (invalid.get() != null) return false;
        if (System.nanoTime() > deadline) {
            stop("time limit of " + options.timeLimit().toSeconds() + " s reached");
            return false;
        }
        return true;
    }

    /** One connection after another until all messages are taken; returns the latencies it measured. */
    private long[] worker() {
        long[] lat = new long[options.messages()];
        int n = 0;
        while (mayContinue()) {
            int first = next.getAndAdd(options.perConnection());
            if (first >= options.messages()) break;
            int count = Math.min(options.perConnection(), options.messages() - first);
            connections.incrementAndGet();
            try (Socket s = new Socket()) {
                s.setTcpNoDelay(true);
                s.setSoTimeout(60_000);
                s.connect(new InetSocketAddress(options.host(), options.port()), 10_000);
                Replies in = new Replies(new BufferedInputStream(s.getInputStream(), 8192));
                OutputStream out = new BufferedOutputStream(s.getOutputStream(), 64 * 1024);
                if (!in.expect(220, "greeting", this)) return Arrays.copyOf(lat, n);
                send(out, (options.helo() ? "HELO" : "EHLO") + " bench.load.test\r\n");
                String ehlo = in.reply();
                if (!check(ehlo, 250, options.helo() ? "HELO" : "EHLO")) return Arrays.copyOf(lat, n);
                boolean pipelining = options.pipelining();
                if (pipelining && !ehlo.toUpperCase(Locale.ROOT).contains("PIPELINING")) {
                    stop("--pipelining asked, but the server does not advertise PIPELINING");
                    return Arrays.copyOf(lat, n);
                }
                for (int i = 0; i < count && mayContinue(); i++) {
                    byte[] msg = messages.get((first + i) % messages.size());
                    long t0 = System.nanoTime();
                    String mail = "MAIL FROM:<" + options.from() + ">\r\n";
                    String rcpt = "RCPT TO:<" + options.to() + ">\r\n";
                    if (pipelining) {
                        send(out, mail + rcpt + "DATA\r\n");
                        if (!in.expect(250, "MAIL FROM", this) || !in.expect(250, "RCPT TO", this) || !in.expect(354, "DATA", this)) {
                            return Arrays.copyOf(lat, n);
                        }
                    } else {
                        send(out, mail);
                        if (!in.expect(250, "MAIL FROM", this)) return Arrays.copyOf(lat, n);
                        send(out, rcpt);
                        if (!in.expect(250, "RCPT TO", this)) return Arrays.copyOf(lat, n);
                        send(out, "DATA\r\n");
                        if (!in.expect(354, "DATA", this)) return Arrays.copyOf(lat, n);
                    }
                    out.write(msg);
                    out.write(".\r\n".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    if (!in.expect(250, "end of data", this)) return Arrays.copyOf(lat, n);
                    lat[n++] = System.nanoTime() - t0;
                    accepted.incrementAndGet();
                }
                send(out, "QUIT\r\n");
                in.reply(); // 221, not checked: the messages are already accepted
            } catch (IOException e) {
                stop("I/O error: " + e);
            }
        }
        return Arrays.copyOf(lat, n);
    }

    private boolean check(String reply, int expected, String what) {
        if (reply.startsWith(Integer.toString(expected))) return true;
        stop("unexpected reply to " + what + ": " + reply.strip());
        return false;
    }

    private static void send(OutputStream out, String s) throws IOException {
        out.write(s.getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    /** Reads SMTP replies (multi-line replies joined). */
    private static final class Replies {
        private final InputStream in;

        Replies(InputStream in) { this.in = in; }

        String reply() throws IOException {
            StringBuilder all = new StringBuilder();
            while (true) {
                String line = line();
                all.append(line).append('\n');
                if (line.length() < 4 || line.charAt(3) != '-') return all.toString();
            }
        }

        boolean expect(int code, String what, LoadGenerator g) throws IOException {
            return g.check(reply(), code, what);
        }

        private String line() throws IOException {
            ByteArrayOutputStream b = new ByteArrayOutputStream(128);
            int c;
            while ((c = in.read()) != -1) {
                if (c == '\n') break;
                if (c != '\r') b.write(c);
            }
            if (c == -1) throw new IOException("connection closed by the server");
            return b.toString(StandardCharsets.ISO_8859_1);
        }
    }

    /** A plain-text message of about {@code size} bytes, CRLF line ends, dot-stuffed (ready for DATA). */
    static byte[] synthetic(int size) {
        StringBuilder b = new StringBuilder(size + 200);
        b.append("From: Bench <bench@load.test>\r\n")
                .append("To: Olaf <olaf@herald.test>\r\n")
                .append("Subject: load test message\r\n")
                .append("Date: Thu, 3 Dec 2026 10:00:00 +0000\r\n")
                .append("MIME-Version: 1.0\r\n")
                .append("Content-Type: text/plain; charset=us-ascii\r\n\r\n");
        String line = "The quick brown fox jumps over the lazy dog. 0123456789 abcdefghijklmnopqrstuvwxyz\r\n";
        while (b.length() + line.length() <= size) b.append(line);
        while (b.length() + 2 < size) b.append('x');
        b.append("\r\n");
        return b.toString().getBytes(StandardCharsets.US_ASCII);
    }

    /** Every regular file below {@code dir}, sorted, CRLF line ends, dot-stuffed. */
    static List<byte[]> loadCorpus(Path dir) throws IOException {
        List<byte[]> out = new ArrayList<>();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.filter(Files::isRegularFile).sorted().toList()) out.add(forData(Files.readAllBytes(p)));
        }
        return out;
    }

    /** CRLF line ends, a final CRLF and dot-stuffing (RFC 5321 §4.5.2). */
    static byte[] forData(byte[] raw) {
        ByteArrayOutputStream b = new ByteArrayOutputStream(raw.length + 64);
        boolean lineStart = true;
        for (int i = 0; i < raw.length; i++) {
            byte c = raw[i];
            if (lineStart && c == '.') b.write('.');
            if (c == '\n') {
                b.write('\r');
                b.write('\n');
                lineStart = true;
            } else if (c == '\r') {
                if (i + 1 < raw.length && raw[i + 1] == '\n') continue; // the \n writes the CRLF
                b.write('\r');
                b.write('\n');
                lineStart = true;
            } else {
                b.write(c);
                lineStart = false;
            }
        }
        if (!lineStart) {
            b.write('\r');
            b.write('\n');
        }
        return b.toByteArray();
    }

    static final String USAGE = """
            Usage: java -jar herald-bench.jar [options]
              --host HOST            SMTP server (default 127.0.0.1)
              --port PORT            SMTP port (default 2525)
              --messages N           messages to send in all (default 1000)
              --concurrency C        connections at once (default 8)
              --per-connection M     transactions per connection before QUIT and reconnect (default 10)
              --size BYTES           size of the synthetic message (default 5120)
              --corpus DIR           send the files below DIR instead (cycled), e.g. ../shared/corpus
              --pipelining           send MAIL, RCPT and DATA in one write (RFC 2920)
              --helo                 greet with HELO instead of EHLO (as Postfix's smtp-source does)
              --summary              also print one line "SUMMARY valid=... msg_per_s=... p99_ms=..." for scripts
              --from ADDRESS         envelope sender (default bench@load.test)
              --to ADDRESS           envelope recipient (default olaf@herald.test)
              --time-limit SECONDS   stop (and call the run invalid) after this long (default 600)
            Exit code: 0 valid run, 1 invalid run (a refusal, an error or the time limit), 2 wrong options.
            """;

    static Options parse(String[] args) {
        Options o = Options.defaults();
        String host = o.host(), from = o.from(), to = o.to();
        int port = o.port(), messages = o.messages(), concurrency = o.concurrency(), size = o.size(), per = o.perConnection();
        Path corpus = null;
        boolean pipelining = false, helo = false;
        Duration limit = o.timeLimit();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--pipelining" -> pipelining = true;
                case "--helo" -> helo = true;
                case "--summary" -> { }
                case "--help", "-h" -> throw new IllegalArgumentException("");
                default -> {
                    if (i + 1 >= args.length) throw new IllegalArgumentException("unknown option or missing value: " + a);
                    String v = args[++i];
                    switch (a) {
                        case "--host" -> host = v;
                        case "--port" -> port = number(a, v, 1, 65535);
                        case "--messages" -> messages = number(a, v, 1, 100_000_000);
                        case "--concurrency" -> concurrency = number(a, v, 1, 10_000);
                        case "--per-connection" -> per = number(a, v, 1, 1_000_000);
                        case "--size" -> size = number(a, v, 256, 100 * 1024 * 1024);
                        case "--corpus" -> corpus = Path.of(v);
                        case "--from" -> from = v;
                        case "--to" -> to = v;
                        case "--time-limit" -> limit = Duration.ofSeconds(number(a, v, 1, 86_400));
                        default -> throw new IllegalArgumentException("unknown option: " + a);
                    }
                }
            }
        }
        if (helo && pipelining) throw new IllegalArgumentException("--pipelining needs EHLO: drop --helo");
        return new Options(host, port, messages, concurrency, size, corpus, per, pipelining, from, to, limit, helo);
    }

    private static int number(String option, String v, int min, int max) {
        try {
            int n = Integer.parseInt(v);
            if (n >= min && n <= max) return n;
        } catch (NumberFormatException e) {
            // below
        }
        throw new IllegalArgumentException(option + " must be a whole number from " + min + " to " + max + ", not " + v);
    }

    public static void main(String[] args) throws Exception {
        Options o;
        try {
            o = parse(args);
        } catch (IllegalArgumentException e) {
            if (!e.getMessage().isEmpty()) System.err.println("herald-bench: " + e.getMessage());
            System.err.print(USAGE);
            System.exit(e.getMessage().isEmpty() ? 0 : 2);
            return;
        }
        Report r = new LoadGenerator(o).run();
        r.print(System.out, o);
        if (java.util.Arrays.asList(args).contains("--summary")) System.out.println(r.summaryLine());
        System.exit(r.valid() ? 0 : 1);
    }
}
