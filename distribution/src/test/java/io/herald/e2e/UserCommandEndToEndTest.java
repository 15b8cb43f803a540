package io.herald.e2e;

import io.herald.launcher.ExitCodes;
import io.herald.launcher.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code herald user ...} as an operator runs it ({@link Main}, the auth-file plugin found on the class path, no
 * server): what it prints and its exit codes.
 */
class UserCommandEndToEndTest {

    @TempDir Path home;

    record Run(int exit, String out, String err) { }

    /** {@code herald --home <home> args...} with {@code input} on standard input. */
    Run herald(String input, String... args) {
        InputStream in = System.in;
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        String[] all = new String[args.length + 2];
        all[0] = "--home";
        all[1] = home.toString();
        System.arraycopy(args, 0, all, 2, args.length);
        try {
            System.setIn(new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)));
            System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
            int exit = Main.execute(all);
            return new Run(exit, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setIn(in);
            System.setOut(out);
            System.setErr(err);
        }
    }

    @Test
    void theAddressIsPrintedAsStoredAndAShortPasswordIsRefused() throws Exception {
        Run add = herald("Upper-pass-1234\n", "user", "add", "UPPER@Herald.Test");
        assertThat(add.exit()).as(add.err()).isEqualTo(ExitCodes.OK);
        assertThat(add.out()).isEqualTo("added upper@herald.test" + System.lineSeparator());
        Run alias = herald("", "user", "alias", "Info@Herald.Test", "UPPER@Herald.Test");
        assertThat(alias.out()).isEqualTo("info@herald.test -> upper@herald.test" + System.lineSeparator());
        assertThat(herald("", "user", "unalias", "INFO@herald.test").out()).isEqualTo("removed alias info@herald.test" + System.lineSeparator());
        assertThat(herald("", "user", "remove", "Upper@Herald.Test").out()).isEqualTo("removed upper@herald.test" + System.lineSeparator());

        // a one-character password was accepted: now exit code 1, the minimum named, nothing added
        Run shortPw = herald("x\n", "user", "add", "anna@herald.test");
        assertThat(shortPw.exit()).isEqualTo(1);
        assertThat(shortPw.err()).isEqualTo("herald user add: password too short: 1 character, at least 8 are needed"
                + " (auth-file.cfg password.minLength)" + System.lineSeparator());
        assertThat(shortPw.out()).isEmpty();
        assertThat(herald("", "user", "list").out()).doesNotContain("anna");

        // the minimum comes from conf/auth-file.cfg
        Files.createDirectories(home.resolve("conf"));
        Files.writeString(home.resolve("conf/auth-file.cfg"), "password.minLength = 12\n");
        Run eleven = herald("Anna-pass-1\n", "user", "add", "anna@herald.test");
        assertThat(eleven.exit()).isEqualTo(1);
        assertThat(eleven.err()).contains("at least 12");
        Run twelve = herald("Anna-pass-12\n", "user", "add", "anna@herald.test");
        assertThat(twelve.exit()).as(twelve.err()).isEqualTo(ExitCodes.OK);
        assertThat(herald("", "user", "list").out()).isEqualTo("anna@herald.test" + System.lineSeparator());
    }
}
