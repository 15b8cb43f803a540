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

    static final class Fake implements UserAdmin {
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
}
