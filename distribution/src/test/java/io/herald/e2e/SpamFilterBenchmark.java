package io.herald.e2e;

import io.herald.api.config.Configuration;
import io.herald.api.dns.DnsResolver;
import io.herald.api.mail.Envelope;
import io.herald.api.mail.MailAddress;
import io.herald.api.mail.MessageContent;
import io.herald.api.smtp.SessionInfo;
import io.herald.api.spam.MessageHeaders;
import io.herald.api.spam.SpamCheck;
import io.herald.api.spam.SpamFilter;
import io.herald.config.ConfigStore;
import io.herald.dns.DnsSettings;
import io.herald.dns.DnsjavaResolver;
import io.herald.plugin.dnsbl.DnsblFilter;
import io.herald.plugin.spamassassin.SpamAssassinFilter;
import io.herald.plugin.spamauth.AuthFilter;
import io.herald.plugin.spambayes.BayesFilter;
import io.herald.plugin.spambayes.TokenStore;
import io.herald.plugin.spambayes.Trainer;
import io.herald.spam.SpamChain;
import io.herald.spam.SpamSettings;
import io.herald.testkit.dns.DnsResponder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Per-message cost of each spam filter and of the whole chain (docs/benchmarks.md). Not part of the normal test
 * run (the class name matches no Surefire pattern); run it with
 * {@code mvn -B -q -pl distribution -am test -Dtest=SpamFilterBenchmark -Dsurefire.failIfNoSpecifiedTests=false}.
 *
 * <p>Messages: every 10th file of {@code corpus/spam} and {@code corpus/ham} (sorted), CRLF; Bayes trained on every
 * 3rd other file. DNS: the testkit's DnsResponder on loopback (SPF, DMARC, DKIM key and a block-list zone), the core
 * resolver's cache off, so every lookup is a real round trip on loopback. spamd (when installed): {@code -L}, one child.
 * Each filter scores every message once as warm-up, then once measured; times are per call of
 * {@link SpamFilter#score} (the chain: {@link SpamChain#evaluate}), median and p99 by nearest rank.
 */
class SpamFilterBenchmark {

    static final Path CORPUS = Path.of(System.getProperty("herald.corpus", "../../shared/corpus"));

    @TempDir Path tmp;

    @Test
    void perMessageCost() throws Exception {
        List<Path> all = new ArrayList<>();
        List<Path> trainSpam = new ArrayList<>(), trainHam = new ArrayList<>();
        for (String label : List.of("spam", "ham")) {
            List<Path> files;
            try (Stream<Path> s = Files.walk(CORPUS.resolve(label))) {
                files = s.filter(Files::isRegularFile).sorted().toList();
            }
            for (int i = 0; i < files.size(); i++) {
                if (i % 10 == 0) all.add(files.get(i));
                else if (i % 3 == 0) (label.equals("spam") ? trainSpam : trainHam).add(files.get(i));
            }
        }
        List<SpamCheck> checks = new ArrayList<>();
        for (Path p : all) checks.add(check(MessageContent.of(WireFormat.crlf(Files.readAllBytes(p)))));
        System.out.printf(Locale.ROOT, "%d messages, %d spam + %d ham to train Bayes%n", checks.size(), trainSpam.size(), trainHam.size());

        BayesFilter bayes = new BayesFilter(TokenStore.load(tmp.resolve("none.db")), config("spam-bayes", Map.of()), null, true);
        Trainer trainer = new Trainer(bayes);
        trainer.learnAll(trainSpam, true);
        trainer.learnAll(trainHam, false);

        try (DnsResponder dns = DnsResponder.start()) {
            dns.txt("example.org", "v=spf1 ip4:192.0.2.10 -all").txt("_dmarc.example.org", "v=DMARC1; p=reject")
               .a("10.2.0.192.bl.test", "127.0.0.2");
            DnsResolver resolver = new DnsjavaResolver(new DnsSettings(List.of(dns.address()), Duration.ofSeconds(2), 1, false));
            AuthFilter auth = new AuthFilter(config("spam-auth", Map.of("enabled", "true")), resolver, "mx.herald.test");
            DnsblFilter dnsbl = new DnsblFilter(config("spam-dnsbl", Map.of("zones", "bl.test")), resolver);

            List<SpamFilter> filters = new ArrayList<>(List.of(bayes, auth, dnsbl));
            Process spamd = startSpamd();
            try {
                if (spamd != null) {
                    filters.add(new SpamAssassinFilter(config("spam-spamassassin", Map.of("enabled", "true",
                            "port", String.valueOf(spamdPort), "timeout", "60s"))));
                } else {
                    System.out.println("spamassassin: not measured (no spamd installed)");
                }
                System.out.println("filter          median ms   p99 ms   (n)");
                for (SpamFilter f : filters) {
                    List<SpamCheck> sample = f instanceof SpamAssassinFilter ? checks.subList(0, Math.min(100, checks.size())) : checks;
                    for (SpamCheck c : sample) f.score(c); // warm-up
                    long[] ns = new long[sample.size()];
                    for (int i = 0; i < sample.size(); i++) {
                        long t0 = System.nanoTime();
                        f.score(sample.get(i));
                        ns[i] = System.nanoTime() - t0;
                    }
                    print(f.name(), ns);
                }
                try (SpamChain chain = new SpamChain(() -> filters, SpamSettings.defaults())) {
                    List<SpamCheck> sample = spamd != null ? checks.subList(0, Math.min(100, checks.size())) : checks;
                    for (SpamCheck c : sample) chain.evaluate(c.session(), c.envelope(), c.message());
                    long[] ns = new long[sample.size()];
                    for (int i = 0; i < sample.size(); i++) {
                        SpamCheck c = sample.get(i);
                        long t0 = System.nanoTime();
                        chain.evaluate(c.session(), c.envelope(), c.message());
                        ns[i] = System.nanoTime() - t0;
                    }
                    print("chain (all " + filters.size() + ")", ns);
                }
            } finally {
                if (spamd != null) {
                    spamd.destroy();
                    if (!spamd.waitFor(20, TimeUnit.SECONDS)) spamd.destroyForcibly();
                    spamd.descendants().forEach(ProcessHandle::destroyForcibly);
                }
            }
        }
    }

    int spamdPort;

    /** spamd -L on a free loopback port, or null when spamd is not installed. */
    private Process startSpamd() throws Exception {
        Path exe = Stream.of("/usr/sbin/spamd", "/usr/bin/spamd", "/usr/local/sbin/spamd").map(Path::of).filter(Files::isExecutable).findFirst().orElse(null);
        if (exe == null) return null;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            spamdPort = s.getLocalPort();
        }
        List<String> cmd = new ArrayList<>(List.of(exe.toString(), "-L", "-x", "--listen=127.0.0.1:" + spamdPort,
                "--min-children=1", "--max-children=1", "--syslog=stderr"));
        if ("root".equals(System.getProperty("user.name"))) cmd.add("--username=nobody");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(tmp.resolve("spamd.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < deadline && p.isAlive()) {
            try (java.net.Socket c = new java.net.Socket("127.0.0.1", spamdPort)) {
                return p;
            } catch (java.io.IOException e) {
                Thread.sleep(200);
            }
        }
        p.destroyForcibly();
        throw new IllegalStateException("spamd did not start:\n" + Files.readString(tmp.resolve("spamd.log")));
    }

    private static void print(String name, long[] ns) {
        long[] s = ns.clone();
        Arrays.sort(s);
        double median = s[(int) Math.ceil(0.50 * s.length) - 1] / 1e6;
        double p99 = s[(int) Math.ceil(0.99 * s.length) - 1] / 1e6;
        System.out.printf(Locale.ROOT, "%-15s %9.2f %8.2f   (%d)%n", name, median, p99, s.length);
    }

    private static Configuration config(String pid, Map<String, String> values) {
        return new ConfigStore.MapConfiguration(pid, values);
    }

    /** From 192.0.2.10 (listed in bl.test, allowed by example.org's SPF) with the message's From: as MAIL FROM. */
    private static SpamCheck check(MessageContent m) throws Exception {
        MessageHeaders h = MessageHeaders.read(m);
        Optional<MailAddress> from = h.first("From").flatMap(SpamFilterBenchmark::address);
        SessionInfo s = new SessionInfo("b", "smtp", new InetSocketAddress(InetAddress.getByName("192.0.2.10"), 40000),
                new InetSocketAddress("127.0.0.1", 25), Optional.of("mail.example.org"), true, false, Optional.empty());
        return new SpamCheck(s, new Envelope(from, List.of(new MailAddress("olaf", "herald.test")), Map.of()), m, h);
    }

    private static Optional<MailAddress> address(String from) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("([A-Za-z0-9._%+-]+)@([A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)+)").matcher(from);
        return m.find() ? Optional.of(new MailAddress(m.group(1), m.group(2))) : Optional.empty();
    }
}
