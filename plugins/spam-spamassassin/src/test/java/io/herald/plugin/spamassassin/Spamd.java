package io.herald.plugin.spamassassin;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A real SpamAssassin {@code spamd} for tests: local tests only ({@code -L}, no network), no user configuration,
 * one child, listening on a free loopback port; started by the test and stopped by {@link #close()}. When the
 * process runs as root it drops to {@code nobody} (spamd refuses to scan as root).
 */
final class Spamd implements AutoCloseable {

    final int port;
    private final Process process;
    private final Path log;

    private Spamd(int port, Process process, Path log) {
        this.port = port;
        this.process = process;
        this.log = log;
    }

    /** The spamd executable, or empty with the reason it cannot be used. */
    static Optional<Path> executable() {
        for (String dir : (System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/usr/local/sbin").split(":")) {
            if (dir.isEmpty()) continue;
            Path p = Path.of(dir, "spamd");
            if (Files.isExecutable(p)) return Optional.of(p);
        }
        return Optional.empty();
    }

    static Spamd start(Path exe, Path work) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        List<String> cmd = new ArrayList<>(List.of(exe.toString(), "-L", "-x", "--listen=127.0.0.1:" + port,
                "--min-children=1", "--max-children=1", "--syslog=stderr"));
        if ("root".equals(System.getProperty("user.name"))) cmd.add("--username=nobody");
        Path log = work.resolve("spamd.log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        Spamd spamd = new Spamd(port, p, log);
        SpamdClient probe = new SpamdClient("127.0.0.1", port, Duration.ofSeconds(2), Optional.empty());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90); // loading the rules takes a few seconds
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                String out = spamd.log();
                throw new IllegalStateException("spamd exited with " + p.exitValue() + ":\n" + out);
            }
            if (probe.ping()) return spamd;
            Thread.sleep(200);
        }
        spamd.close();
        throw new IllegalStateException("spamd did not answer PING within 90 s:\n" + spamd.log());
    }

    String log() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    @Override
    public void close() throws InterruptedException {
        List<ProcessHandle> children = process.descendants().toList();
        process.destroy(); // SIGTERM: spamd stops its children
        if (!process.waitFor(20, TimeUnit.SECONDS)) process.destroyForcibly();
        for (ProcessHandle c : children) if (c.isAlive()) c.destroyForcibly();
    }
}
