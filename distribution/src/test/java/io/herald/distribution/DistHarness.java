package io.herald.distribution;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/** What the ITs on the unzipped distribution share: unzip, start bin/herald, run its tools, build test bundles, a load. */
abstract class DistHarness {

    // a start on the shared 2-core machine under load took over 60 s (load average 40); waiting longer costs nothing when fast
    static final Duration START_TIMEOUT = Duration.ofMinutes(3);

    @TempDir
    Path tmp;

    Path home;
    Path herald;
    final List<DistributionIT.Server> servers = new ArrayList<>();

    @BeforeEach
    void unzip() throws Exception {
        assertThat(DistributionIT.DIST_ZIP).as("the zip built by the package phase").isRegularFile();
        DistributionIT.run(List.of("unzip", "-q", DistributionIT.DIST_ZIP.toString(), "-d", tmp.toString()), tmp, Duration.ofSeconds(60));
        try (var dirs = Files.list(tmp)) {
            home = dirs.filter(p -> p.getFileName().toString().startsWith("herald-")).findFirst().orElseThrow();
        }
        herald = home.resolve("bin/herald");
    }

    @AfterEach
    void stopServers() throws Exception {
        for (DistributionIT.Server s : servers) s.stop();
    }

    DistributionIT.Server start() throws Exception {
        int offset = DistributionIT.freeOffset();
        Path out = tmp.resolve("server-" + servers.size() + ".log");
        ProcessBuilder pb = new ProcessBuilder(herald.toString(), "--home", home.toString(), "run",
                "--port-offset", Integer.toString(offset))
                .directory(tmp.toFile()).redirectErrorStream(true).redirectOutput(out.toFile());
        DistributionIT.environment(pb);
        DistributionIT.Server s = new DistributionIT.Server(pb.start(), out, DistributionIT.DEFAULT_SMTP_PORT + offset);
        servers.add(s);
        s.awaitLog("Herald started", START_TIMEOUT);
        return s;
    }

    DistributionIT.Result herald(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(herald.toString(), "--home", home.toString()));
        cmd.addAll(List.of(args));
        return DistributionIT.run(cmd, tmp, Duration.ofSeconds(60));
    }

    String plugins() throws Exception {
        DistributionIT.Result r = herald("plugins");
        assertThat(r.exit()).as(r.stderr()).isZero();
        return new String(r.stdout(), StandardCharsets.UTF_8);
    }

    int messageCount(String address) throws Exception {
        return DistributionIT.listLinesOf(this::herald, address).size();
    }

    /** Waits until {@code address} holds exactly {@code expected} messages (failing if more arrive, or too few in time). */
    void awaitMessageCount(String address, int expected, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        int n;
        while ((n = messageCount(address)) < expected) {
            if (System.nanoTime() > deadline) fail(address + " holds " + n + " messages, expected " + expected);
            Thread.sleep(500);
        }
        assertThat(n).as("messages in " + address + " (none lost, none duplicated)").isEqualTo(expected);
    }

    /** Writes a file the way an operator should: beside its final name, then renamed into place in one step. */
    static void writeAtomically(Path target, byte[] content) throws IOException {
        Path tmpFile = target.resolveSibling("." + target.getFileName() + ".part");
        Files.write(tmpFile, content);
        Files.move(tmpFile, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    // ---------------------------------------------------------------- test bundles

    /**
     * A plugin bundle of the compiled test classes of {@code module}'s package, with a hand-written manifest.
     *
     * @param imports   the Import-Package header
     * @param resources more entries (path in the jar → bytes)
     */
    static byte[] bundle(Class<?> module, String symbolicName, String version, String imports, Map<String, byte[]> resources) {
        Manifest mf = new Manifest();
        Attributes a = mf.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        a.putValue("Bundle-ManifestVersion", "2");
        a.putValue("Bundle-SymbolicName", symbolicName);
        a.putValue("Bundle-Version", version);
        a.putValue("Herald-Plugin", module.getName());
        a.putValue("Import-Package", imports);
        Map<String, byte[]> entries = new TreeMap<>(classesOf(module));
        entries.putAll(resources);
        try (var bytes = new java.io.ByteArrayOutputStream(); JarOutputStream j = new JarOutputStream(bytes, mf)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                j.putNextEntry(new JarEntry(e.getKey()));
                j.write(e.getValue());
                j.closeEntry();
            }
            j.finish();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static final String API_IMPORTS = "io.herald.api.plugin,io.herald.api.smtp,io.herald.api.mail,io.herald.api.routing,"
            + "com.google.inject,com.google.inject.binder,jakarta.inject";

    static Map<String, byte[]> classesOf(Class<?> anyInPackage) {
        try {
            Path root = Path.of(anyInPackage.getProtectionDomain().getCodeSource().getLocation().toURI());
            String pkg = anyInPackage.getPackageName().replace('.', '/');
            Map<String, byte[]> out = new TreeMap<>();
            try (Stream<Path> files = Files.list(root.resolve(pkg))) {
                for (Path f : files.filter(p -> p.toString().endsWith(".class")).toList()) {
                    out.put(pkg + "/" + f.getFileName(), Files.readAllBytes(f));
                }
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    // ---------------------------------------------------------------- load

    /**
     * A bounded load: one transaction (elsa → {@code to}) every {@code pauseMillis}, from one client thread, until
     * stopped, {@code maxCount} sent or {@code maxTime} passed. Every transaction that does not end in 250 is a failure,
     * unless {@code retryTemporary}: then a 4xx is retried (as an MTA would) and only a 5xx, an I/O error or 50 4xx in a
     * row fail it.
     */
    static final class Load implements AutoCloseable {
        final AtomicInteger accepted = new AtomicInteger();
        final AtomicInteger retries = new AtomicInteger();
        final List<String> failures = Collections.synchronizedList(new ArrayList<>());
        private final Thread thread;
        private volatile boolean stop;

        Load(int port, String to, boolean retryTemporary, int maxCount, Duration maxTime, long pauseMillis) {
            long deadline = System.nanoTime() + maxTime.toNanos();
            thread = new Thread(() -> {
                for (int i = 0; !stop && i < maxCount && System.nanoTime() < deadline; i++) {
                    byte[] msg = ("From: elsa@herald.test\r\nTo: " + to + "\r\nSubject: load " + i + "\r\n\r\nload message " + i + "\r\n")
                            .getBytes(StandardCharsets.US_ASCII);
                    String last = "";
                    boolean ok = false;
                    for (int attempt = 0; attempt < (retryTemporary ? 50 : 1) && !ok; attempt++) {
                        try (Smtp smtp = new Smtp(port)) {
                            last = smtp.send("elsa@herald.test", List.of(to), msg);
                            ok = last.startsWith("250");
                        } catch (IOException e) {
                            last = e.toString();
                            break;
                        }
                        if (!ok && last.startsWith("4") && retryTemporary) {
                            retries.incrementAndGet();
                            sleep(200);
                        } else if (!ok) {
                            break;
                        }
                    }
                    if (ok) accepted.incrementAndGet();
                    else failures.add("load " + i + ": " + last);
                    sleep(pauseMillis);
                }
            }, "it-load");
            thread.setDaemon(true);
            thread.start();
        }

        private static void sleep(long millis) {
            try {
                Thread.sleep(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        /** Waits until the load has sent all it was to send. */
        void awaitDone(Duration timeout) throws InterruptedException {
            thread.join(timeout.toMillis());
            assertThat(thread.isAlive()).as("load still running after " + timeout).isFalse();
        }

        /** Stops the load and waits for the transaction in flight. */
        @Override
        public void close() throws InterruptedException {
            stop = true;
            thread.join(120_000);
        }
    }
}
