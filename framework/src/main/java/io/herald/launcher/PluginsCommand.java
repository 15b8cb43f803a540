package io.herald.launcher;

import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code herald plugins}: every plugin of the running server with its version, state (active; failed with the reason:
 * its module or its bundle activator threw; resolving with the missing requirement; ignored with the reason: a jar of
 * plugins/ that is no plugin; refused with the reason: a bundle jar the OSGi framework did not install, such as a
 * second jar of an installed symbolic name and version; stopped) and the extension points it fills. The running server writes
 * {@code data/plugins.state} on every change; this reads it, so it works while the server runs and needs no socket.
 */
@Command(name = "plugins", mixinStandardHelpOptions = true,
        description = "List the plugins of the running server: version, state and extension points.")
final class PluginsCommand implements Callable<Integer> {

    static final String STATE_FILE = "data/plugins.state";
    private static final Pattern PID = Pattern.compile("\\(pid (\\d+)\\)");

    @ParentCommand
    Main parent;

    @Override
    public Integer call() throws Exception {
        Path home = parent.home();
        Logging.forTool(home);
        Path file = home.resolve(STATE_FILE);
        if (!Files.isRegularFile(file)) {
            throw new Main.CommandFailedException("no " + file + ": the server has not run (under the OSGi host) in " + home);
        }
        System.out.print(render(Files.readAllLines(file, StandardCharsets.UTF_8)));
        System.out.flush();
        return ExitCodes.OK;
    }

    /** The state file as a table, with a note when the server that wrote it is not running any more. */
    static String render(List<String> lines) throws IOException {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"NAME", "VERSION", "STATE", "EXTENSION POINTS", "DETAIL"});
        String note = "";
        for (String line : lines) {
            if (line.startsWith("#")) {
                Matcher m = PID.matcher(line);
                if (m.find() && ProcessHandle.of(Long.parseLong(m.group(1))).map(ProcessHandle::isAlive).orElse(false) == Boolean.FALSE) {
                    note = "(the server that wrote this, pid " + m.group(1) + ", is not running: this is its last state)\n";
                }
                continue;
            }
            if (line.isBlank()) continue;
            String[] f = line.split("\t", -1);
            if (f.length < 5) continue;
            rows.add(new String[] {f[0], f[1], f[2], f[3], f[4]});
        }
        int[] w = new int[4];
        for (String[] r : rows) for (int i = 0; i < 4; i++) w[i] = Math.max(w[i], r[i].length());
        StringBuilder out = new StringBuilder(note);
        for (String[] r : rows) {
            String row = String.format("%-" + w[0] + "s  %-" + w[1] + "s  %-" + w[2] + "s  %-" + w[3] + "s  %s", (Object[]) r);
            out.append(row.stripTrailing()).append('\n');
        }
        return out.toString();
    }
}
