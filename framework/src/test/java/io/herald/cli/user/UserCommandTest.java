package io.herald.cli.user;

import io.herald.api.auth.UserAdmin;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

class UserCommandTest {

    static class Fake implements UserAdmin {
        final Map<String, String> users = new TreeMap<>();
        @Override public void add(String a, char[] p) { users.put(a, new String(p)); }
        @Override public void passwd(String a, char[] p) { users.put(a, new String(p)); }
        @Override public boolean remove(String a) { return users.remove(a) != null; }
        @Override public List<String> list() { return new ArrayList<>(users.keySet()); }
        @Override public void addAlias(String a, String t) { }
        @Override public boolean removeAlias(String a) { return false; }
        @Override public Map<String, String> aliases() { return Map.of(); }
    }

    @Test
    void thePasswordComesFromStandardInputNeverFromTheArguments() {
        Fake fake = new Fake();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        UserCommand cmd = new UserCommand(() -> fake, new ByteArrayInputStream("s3cret\n".getBytes(StandardCharsets.UTF_8)),
                new PrintStream(out, true, StandardCharsets.UTF_8));
        int rc = new CommandLine(cmd).execute("add", "elsa@herald.test");
        assertThat(rc).isZero();
        assertThat(fake.users).containsEntry("elsa@herald.test", "s3cret");
        assertThat(new CommandLine(cmd).execute("add", "olaf@herald.test", "password-on-command-line")).isNotZero();
        new CommandLine(cmd).execute("list");
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("added elsa@herald.test").contains("elsa@herald.test\n").doesNotContain("s3cret");
    }

    @Test
    void aRefusalIsOneLineAndExitCode1() {
        Fake fake = new Fake() {
            @Override public void add(String a, char[] p) {
                if (!a.contains("@")) throw new IllegalArgumentException("not a mail address: '" + a + "'");
                super.add(a, p);
            }
        };
        // no password on standard input
        java.io.StringWriter err = new java.io.StringWriter();
        CommandLine cl = new CommandLine(new UserCommand(() -> fake, new ByteArrayInputStream(new byte[0]), System.out));
        cl.setErr(new java.io.PrintWriter(err, true));
        assertThat(cl.execute("add", "elsa@herald.test")).isEqualTo(1);
        assertThat(err.toString()).isEqualTo("herald user add: no password on standard input" + System.lineSeparator());
        // an address the user database refuses
        err.getBuffer().setLength(0);
        cl = new CommandLine(new UserCommand(() -> fake, new ByteArrayInputStream("pw\n".getBytes(StandardCharsets.UTF_8)), System.out));
        cl.setErr(new java.io.PrintWriter(err, true));
        assertThat(cl.execute("add", "bad-address")).isEqualTo(1);
        assertThat(err.toString()).isEqualTo("herald user add: not a mail address: 'bad-address'" + System.lineSeparator());
        assertThat(fake.users).isEmpty();
        // no user database plugin
        err.getBuffer().setLength(0);
        cl = new CommandLine(new UserCommand(() -> { throw new IllegalStateException("no user database plugin (such as auth-file) is installed"); },
                new ByteArrayInputStream(new byte[0]), System.out));
        cl.setErr(new java.io.PrintWriter(err, true));
        assertThat(cl.execute("list")).isEqualTo(1);
        assertThat(err.toString()).startsWith("herald user list: no user database plugin");
    }

    @Test
    void aUserOutsideTheLocalDomainsIsAddedWithAWarning() {
        Fake fake = new Fake();
        java.io.StringWriter err = new java.io.StringWriter();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        CommandLine cl = new CommandLine(new UserCommand(() -> fake, () -> java.util.Set.of("herald.test"),
                new ByteArrayInputStream("pw-1\n".getBytes(StandardCharsets.UTF_8)), new PrintStream(out, true, StandardCharsets.UTF_8)));
        cl.setErr(new java.io.PrintWriter(err, true));
        assertThat(cl.execute("add", "x@Nowhere.example")).isZero();
        assertThat(fake.users).containsKey("x@Nowhere.example");
        assertThat(err.toString()).isEqualTo("herald user add: warning: nowhere.example is not a local domain "
                + "(conf/herald.cfg domains = herald.test): x@Nowhere.example can log in and submit mail, but gets no "
                + "mailbox and receives no mail here" + System.lineSeparator());

        err.getBuffer().setLength(0);
        cl = new CommandLine(new UserCommand(() -> fake, () -> java.util.Set.of("herald.test"),
                new ByteArrayInputStream("pw-2\n".getBytes(StandardCharsets.UTF_8)), new PrintStream(out, true, StandardCharsets.UTF_8)));
        cl.setErr(new java.io.PrintWriter(err, true));
        assertThat(cl.execute("add", "anna@HERALD.test")).isZero();
        assertThat(err.toString()).isEmpty();
    }

    /** A database that keeps addresses in lower case, as auth-file does. */
    static class LowerCase extends Fake {
        final Map<String, String> aliases = new TreeMap<>();
        @Override public String canonicalAddress(String a) { return a.trim().toLowerCase(java.util.Locale.ROOT); }
        @Override public void add(String a, char[] p) { super.add(canonicalAddress(a), p); }
        @Override public boolean remove(String a) { return super.remove(canonicalAddress(a)); }
        @Override public void addAlias(String a, String t) { aliases.put(canonicalAddress(a), canonicalAddress(t)); }
        @Override public boolean removeAlias(String a) { return aliases.remove(canonicalAddress(a)) != null; }
    }

    @Test
    void everyCommandPrintsTheAddressAsTheDatabaseKeepsIt() {
        // 'herald user add UPPER@Herald.Test' printed "added UPPER@Herald.Test" while it stored upper@herald.test
        LowerCase db = new LowerCase();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        java.io.StringWriter err = new java.io.StringWriter();
        java.util.function.Function<String, CommandLine> cli = input -> {
            CommandLine cl = new CommandLine(new UserCommand(() -> db, () -> java.util.Set.of("herald.test"),
                    new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)), new PrintStream(out, true, StandardCharsets.UTF_8)));
            cl.setErr(new java.io.PrintWriter(err, true));
            return cl;
        };
        assertThat(cli.apply("Upper-pass-1234\n").execute("add", "UPPER@Herald.Test")).isZero();
        assertThat(cli.apply("Upper-pass-5678\n").execute("passwd", "Upper@HERALD.test")).isZero();
        assertThat(cli.apply("").execute("alias", "Info@Herald.Test", "UPPER@herald.TEST")).isZero();
        assertThat(cli.apply("").execute("unalias", "INFO@herald.test")).isZero();
        assertThat(cli.apply("").execute("unalias", "INFO@herald.test")).isEqualTo(1);
        assertThat(cli.apply("").execute("remove", "UPPER@Herald.Test")).isZero();
        assertThat(cli.apply("").execute("remove", "UPPER@Herald.Test")).isEqualTo(1);
        assertThat(out.toString(StandardCharsets.UTF_8).lines()).containsExactly(
                "added upper@herald.test",
                "password changed for upper@herald.test",
                "info@herald.test -> upper@herald.test",
                "removed alias info@herald.test",
                "no alias info@herald.test",
                "removed upper@herald.test",
                "no user upper@herald.test");
        assertThat(err.toString()).isEmpty();
    }
}
