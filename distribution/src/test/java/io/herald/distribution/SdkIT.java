package io.herald.distribution;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * The plugin SDK from a newcomer's side, word for word as {@code docs/plugin-guide.md} says: the shell blocks of the
 * guide marked {@code <!-- sdk-it: NAME -->} are read from the guide and run here as they are written, in order:
 * install the SDK from the Herald checkout, generate a plugin project from the archetype, build it (its test uses the
 * test kit), configure and hot-deploy the bundle into a running unpacked distribution, and try it with swaks. The
 * example plugin in {@code sdk/examples/} is built the same way, against the installed SDK only, and deployed too.
 *
 * <p>The only difference from a newcomer's machine: {@code mvn} is a shim that adds
 * {@code -s settings.xml -Dmaven.repo.local=<the test's temporary folder>/repo}, so that nothing is installed into the shared
 * {@code ~/.m2}; the settings make the build's own local repository (already filled by this build) a {@code file://}
 * mirror of everything, so no network is used. The Herald checkout is a copy of this one without {@code target/}.
 */
class SdkIT extends DistHarness {

    static final Path SOURCE = Path.of(System.getProperty("herald.source.dir", "..")).toAbsolutePath().normalize();
    static final Path SEED_REPO = Path.of(System.getProperty("herald.seed.repo",
            System.getProperty("user.home") + "/.m2/repository")).toAbsolutePath();
    static final Path GUIDE = SOURCE.resolve("docs/plugin-guide.md");
    static final Duration MAVEN_TIMEOUT = Duration.ofMinutes(10);
    static final Pattern BLOCK = Pattern.compile("<!-- sdk-it: ([a-z-]+) -->\\s*```bash\\n(.*?)```", Pattern.DOTALL);

    /** The guide's marked blocks, by name, in the order they appear. */
    static Map<String, String> guideBlocks() throws IOException {
        Map<String, String> blocks = new LinkedHashMap<>();
        Matcher m = BLOCK.matcher(Files.readString(GUIDE));
        while (m.find()) {
            if (blocks.put(m.group(1), m.group(2)) != null) fail("two blocks named " + m.group(1) + " in " + GUIDE);
        }
        return blocks;
    }

    record Shell(int exit, String output) { }

    private Path work;
    private Path bin;
    private Map<String, String> env;

    /** Runs one block of the guide in bash ({@code set -euo pipefail}), with the guide's variables set. */
    Shell block(Map<String, String> blocks, String name) throws Exception {
        String script = blocks.get(name);
        assertThat(script).as("a block <!-- sdk-it: " + name + " --> in " + GUIDE).isNotNull();
        Path log = work.resolve("block-" + name + ".log");
        ProcessBuilder pb = new ProcessBuilder("bash", "-c", "set -euo pipefail\n" + script)
                .directory(work.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
        DistributionIT.environment(pb);
        pb.environment().putAll(env);
        pb.environment().put("PATH", bin + ":" + System.getenv("PATH"));
        Process p = pb.start();
        if (!p.waitFor(MAVEN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly().waitFor();
            fail("block " + name + " did not finish in " + MAVEN_TIMEOUT + ":\n" + tail(Files.readString(log)));
        }
        Shell s = new Shell(p.exitValue(), Files.readString(log));
        System.out.printf("sdk-it: block %s exited %d%n", name, s.exit);
        return s;
    }

    Shell mustPass(Map<String, String> blocks, String name) throws Exception {
        Shell s = block(blocks, name);
        assertThat(s.exit).as("block " + name + " of the guide:\n" + blocks.get(name) + "\noutput:\n" + tail(s.output)).isZero();
        return s;
    }

    @Test
    void aNewcomerFollowingTheGuideGetsAWorkingPluginIntoARunningServer() throws Exception {
        Map<String, String> blocks = guideBlocks();
        work = tmp.resolve("newcomer");
        Files.createDirectories(work);
        Path checkout = tmp.resolve("herald");
        copySources(SOURCE, checkout);
        // A fresh private repository every run: nothing left from an earlier run, nothing cached as "not found".
        Path repo = tmp.resolve("repo");
        Files.createDirectories(repo);
        Path settings = tmp.resolve("settings.xml");
        Files.writeString(settings, """
                <settings>
                  <!-- Everything from the build's own local repository, never from the network or ~/.m2 directly. -->
                  <mirrors><mirror><id>herald-seed</id><mirrorOf>external:*</mirrorOf><url>%s</url></mirror></mirrors>
                </settings>
                """.formatted(SEED_REPO.toUri()));
        bin = tmp.resolve("bin");
        Files.createDirectories(bin);
        Path shim = bin.resolve("mvn");
        Files.writeString(shim, "#!/bin/sh\nexec " + realMaven() + " -s '" + settings + "' -Dmaven.repo.local='" + repo + "' \"$@\"\n");
        Files.setPosixFilePermissions(shim, PosixFilePermissions.fromString("rwxr-xr-x"));

        DistributionIT.Server server = start();
        env = Map.of("HERALD_SRC", checkout.toString(), "HERALD_HOME", home.toString(), "WORK", work.toString(),
                "SMTP_PORT", Integer.toString(server.smtpPort));

        // 1. the SDK into the (private) local repository
        mustPass(blocks, "install-sdk");
        assertThat(repo.resolve("io/herald/herald-plugin-archetype")).isDirectory();
        assertThat(repo.resolve("io/herald/herald-bom")).isDirectory();

        // 2. a project from the archetype, 3. built: its test runs a real server with the plugin (test kit)
        mustPass(blocks, "generate");
        Path project = work.resolve("sender-stamp");
        assertThat(project.resolve("pom.xml")).isRegularFile();
        Shell build = mustPass(blocks, "build");
        assertThat(build.output).containsPattern("Tests run: 2, Failures: 0, Errors: 0, Skipped: 0");
        Path jar = project.resolve("target/sender-stamp-1.0.0.jar");
        try (JarFile j = new JarFile(jar.toFile())) {
            var mf = j.getManifest().getMainAttributes();
            assertThat(mf.getValue("Herald-Plugin")).isEqualTo("org.example.mail.stamp.ExamplePlugin");
            assertThat(mf.getValue("Bundle-SymbolicName")).isEqualTo("org.example.mail.sender-stamp");
            assertThat(mf.getValue("Import-Package")).contains("io.herald.api.smtp").doesNotContain("io.herald.host");
            assertThat(mf.getValue("Export-Package")).isNull();
        }

        // 4. configured and hot-deployed into the running server
        assertThat(HotDeployIT.probe(server.smtpPort)).startsWith("250");
        mustPass(blocks, "configure");
        mustPass(blocks, "deploy");
        awaitPlugin("sender-stamp\\s+1\\.0\\.0\\s+active\\s+SmtpHook");

        // 5. its effect on real SMTP transactions, with swaks as the guide shows
        Shell refused = block(blocks, "try-blocked");
        assertThat(refused.exit).as(refused.output).isNotZero();
        assertThat(refused.output).contains("550 5.7.1 <spammer@example.net> is not allowed to send here");
        Shell sent = mustPass(blocks, "try-send");
        assertThat(sent.output).contains("250 2.0.0");
        awaitMessageCount("olaf@herald.test", 1, Duration.ofSeconds(30));
        Shell shown = mustPass(blocks, "try-show");
        assertThat(shown.output).contains("X-Example: seen by sender-stamp").contains("Subject: stamped?");

        // The example plugin: built outside the reactor against the installed SDK, its tests with the test kit only.
        Shell example = mustPass(blocks, "example");
        assertThat(example.output).contains("Tests run:").doesNotContain("Tests run: 0,").contains("BUILD SUCCESS");
        mustPass(blocks, "example-deploy");
        awaitPlugin("attachment-blocker\\s+1\\.0\\.0\\s+active\\s+SmtpHook");
        try (Smtp smtp = new Smtp(server.smtpPort)) {
            String exe = "From: elsa@herald.test\r\nSubject: tool\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
                    + "--b\r\nContent-Type: text/plain\r\n\r\nhere\r\n--b\r\nContent-Type: application/octet-stream\r\n"
                    + "Content-Disposition: attachment; filename=\"tool.exe\"\r\nContent-Transfer-Encoding: base64\r\n\r\nTVo=\r\n--b--\r\n";
            assertThat(smtp.send("elsa@herald.test", List.of("olaf@herald.test"), exe.getBytes(StandardCharsets.US_ASCII)))
                    .startsWith("550 5.7.1").contains("tool.exe");
        }
        assertThat(messageCount("olaf@herald.test")).as("the refused message was not stored").isEqualTo(1);
    }

    void awaitPlugin(String pattern) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        String listing;
        while (!Pattern.compile(pattern).matcher(listing = plugins()).find()) {
            if (System.nanoTime() > deadline) fail("no plugin line matching " + pattern + " in:\n" + listing);
            Thread.sleep(200);
        }
    }

    /** The Herald checkout as a newcomer has it: the sources, without build output or git metadata. */
    static void copySources(Path from, Path to) throws IOException {
        Set<String> skip = Set.of("target", ".git", ".idea");
        Files.walkFileTree(from, new SimpleFileVisitor<>() {
            @Override public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                if (!dir.equals(from) && skip.contains(dir.getFileName().toString())) return FileVisitResult.SKIP_SUBTREE;
                Files.createDirectories(to.resolve(from.relativize(dir).toString()));
                return FileVisitResult.CONTINUE;
            }

            @Override public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                if (attrs.isRegularFile()) {
                    Files.copy(file, to.resolve(from.relativize(file).toString()), StandardCopyOption.COPY_ATTRIBUTES);
                }
                return FileVisitResult.CONTINUE;
            }
        });
    }

    static String realMaven() {
        String home = System.getProperty("maven.home");
        if (home != null && Files.isExecutable(Path.of(home, "bin/mvn"))) return Path.of(home, "bin/mvn").toString();
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            Path p = Path.of(dir, "mvn");
            if (Files.isExecutable(p)) return p.toString();
        }
        throw new IllegalStateException("no mvn on the PATH");
    }

    static String tail(String s) {
        List<String> lines = new ArrayList<>(s.lines().toList());
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 80), lines.size()));
    }
}
