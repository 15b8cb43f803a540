package io.herald.e2e;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.herald.config.ConfigStore;
import io.herald.server.HeraldServer;
import io.herald.tls.SelfSignedCertificate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The shipped {@code conf/*.cfg} files document every key, commented out with its default. With every one of those
 * lines switched on, the server and all the built-in plugins start, and none of the keys is reported as unknown: every
 * documented key is one its component asks for when it starts (also those that matter only when another key is set),
 * so a key the server reports is one the documentation does not have either.
 */
class ShippedConfigurationTest {

    /** A documented key: {@code #key = default} at the start of a line (prose comments have a space after the #). */
    static final Pattern DOCUMENTED = Pattern.compile("^#([A-Za-z][^\\s=]*)\\s*=(.*)$");

    @TempDir Path home;

    @Test
    void everyDocumentedKeyIsKnownToItsComponent() throws Exception {
        Path shipped = Path.of(System.getProperty("basedir", ".")).resolve("src/conf");
        Path conf = Files.createDirectories(home.resolve("conf"));
        TreeMap<String, List<String>> keys = new TreeMap<>();
        try (Stream<Path> files = Files.list(shipped)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".cfg")).sorted().toList()) {
                String pid = f.getFileName().toString().replaceAll("\\.cfg$", "");
                StringBuilder out = new StringBuilder();
                for (String line : Files.readAllLines(f)) {
                    Matcher m = DOCUMENTED.matcher(line);
                    if (!m.matches()) continue;
                    String key = m.group(1).replace("<zone>", "bl.example.net");   // spam-dnsbl's family zone.<zone>.*
                    keys.computeIfAbsent(pid, p -> new ArrayList<>()).add(key);
                    out.append(key).append(" =").append(m.group(2)).append('\n');
                }
                Files.writeString(conf.resolve(pid + ".cfg"), out);
            }
        }
        assertThat(keys).as("documented keys per file").hasSizeGreaterThanOrEqualTo(25);
        assertThat(keys.values().stream().mapToInt(List::size).sum()).isGreaterThan(200);
        // tls.cfg names conf/tls/cert.pem and key.pem: they must exist once named
        SelfSignedCertificate.write(SelfSignedCertificate.generate("localhost", SelfSignedCertificate.KeyType.EC, Duration.ofDays(1)),
                conf.resolve("tls/cert.pem"), conf.resolve("tls/key.pem"));

        Logger storeLog = (Logger) LoggerFactory.getLogger(ConfigStore.class);
        ListAppender<ILoggingEvent> seen = new ListAppender<>();
        seen.start();
        storeLog.addAppender(seen);
        try (HeraldServer server = HeraldServer.builder().home(home)
                // the documented ports are the defaults; this test takes none of them
                .set("smtp", "port", "0").set("submission", "port", "0").set("submissions", "port", "0")
                .set("imap", "port", "0").set("imap", "tls.port", "0").set("pop3", "port", "0").set("pop3", "tls.port", "0")
                .set("http", "port", "0")
                .discoverPlugins().start()) {
            assertThat(server.registry().plugins()).as("every built-in plugin started with the documented values")
                    .hasSizeGreaterThanOrEqualTo(14);
            List<String> unknown = new ArrayList<>();
            for (String pid : keys.keySet()) unknown.addAll(server.configs().unknownKeys(pid));
            assertThat(unknown).isEmpty();
        } finally {
            storeLog.detachAppender(seen);
        }
        assertThat(seen.list).filteredOn(e -> e.getLevel() == Level.WARN).extracting(ILoggingEvent::getFormattedMessage)
                .noneMatch(m -> m.contains("unknown key"));
    }
}
