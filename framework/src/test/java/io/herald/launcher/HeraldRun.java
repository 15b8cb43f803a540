package io.herald.launcher;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * One {@code bin/herald} command line run in this JVM ({@link Main#execute}): its exit code, standard output (where
 * the tools' log lines go too) and standard error (picocli's messages and usage).
 */
record HeraldRun(int exit, String out, String err) {

    /** {@code herald --home HOME args...} */
    static HeraldRun in(Path home, String... args) {
        String[] all = new String[args.length + 2];
        all[0] = "--home";
        all[1] = home.toString();
        System.arraycopy(args, 0, all, 2, args.length);
        PrintStream saved = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        StringWriter err = new StringWriter();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            int exit = Main.execute(new PrintWriter(err, true), all);
            return new HeraldRun(exit, out.toString(StandardCharsets.UTF_8), err.toString());
        } finally {
            System.setOut(saved);
        }
    }
}
