package io.herald.launcher;

import io.herald.http.AdminClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/**
 * {@code herald spam train --spam DIR --ham DIR}: teaches the running server's spam learners (spam-bayes) from
 * folders of labelled messages, one message per file. Training goes through the running server's admin API
 * ({@code POST /admin/spam/learn}, then {@code /admin/spam/flush}) because the server owns the learners' stores: a
 * tool writing {@code tokens.db} beside it would be overwritten at the server's next save.
 */
@Command(name = "spam", mixinStandardHelpOptions = true, description = "Train the spam filters of the running server.",
        subcommands = {SpamCommand.Train.class})
final class SpamCommand implements Callable<Integer> {

    @ParentCommand
    Main parent;

    @Override
    public Integer call() {
        System.err.println("herald spam: say 'train --spam DIR --ham DIR' (herald spam --help)");
        return ExitCodes.USAGE;
    }

    @Command(name = "train", mixinStandardHelpOptions = true,
            description = "Learn every file below the --spam folders as spam and below the --ham folders as ham (one "
                    + "message per file, any depth, e.g. a Maildir; names starting with a dot are skipped), then save. "
                    + "Needs the running server (herald run). Exit code 0 when every message was learnt, 1 when one "
                    + "could not be.")
    static final class Train implements Callable<Integer> {
        @ParentCommand
        SpamCommand spam;

        @Spec
        CommandSpec commandSpec;

        @Option(names = "--spam", paramLabel = "DIR", description = "A folder of spam (may be given more than once).")
        List<Path> spamDirs = new ArrayList<>();

        @Option(names = "--ham", paramLabel = "DIR", description = "A folder of wanted mail (may be given more than once).")
        List<Path> hamDirs = new ArrayList<>();

        PrintStream out = System.out;

        /** Per learner: how many it learnt as spam, as ham, and how many it failed on. */
        private final Map<String, int[]> counts = new LinkedHashMap<>();
        private final List<String> failures = new ArrayList<>();

        @Override
        public Integer call() throws Exception {
            if (spamDirs.isEmpty() && hamDirs.isEmpty())   // a wrong command line: exit code 2, with the usage
                throw new ParameterException(commandSpec.commandLine(), "give --spam DIR and/or --ham DIR");
            Path home = spam.parent.home();
            Logging.forTool(home);
            List<Path> spamFiles = files(spamDirs);
            List<Path> hamFiles = files(hamDirs);
            AdminClient client = AdminCalls.client(home);
            List<Path> all = new ArrayList<>(spamFiles);
            all.addAll(hamFiles);
            for (int i = 0; i < all.size(); i++) {
                try {
                    learn(client, all.get(i), i < spamFiles.size());
                } catch (Main.CommandFailedException e) {
                    if (i == 0) throw e;                       // e.g. no learner active: nothing was sent
                    // the server stopped or changed in the middle: say how far the training got
                    throw new Main.CommandFailedException(e.getMessage() + "; stopped at message " + (i + 1) + " of "
                            + all.size() + " (" + all.get(i) + "), the " + i + " before it were sent");
                }
            }
            Map<String, Object> flushed = AdminCalls.object(AdminCalls.answer(
                    () -> client.post("/admin/spam/flush", Map.of(), Duration.ofSeconds(60))));
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[] {"LEARNER", "SPAM", "HAM", "FAILED", "SAVED"});
            for (Map<String, Object> l : learners(flushed)) {
                String name = String.valueOf(l.get("learner"));
                int[] c = counts.getOrDefault(name, new int[3]);
                String saved = "flushed".equals(l.get("outcome")) ? "yes" : "no: " + l.get("detail");
                rows.add(new String[] {name, String.valueOf(c[0]), String.valueOf(c[1]), String.valueOf(c[2]), saved});
                if (!"flushed".equals(l.get("outcome"))) failures.add(name + " could not save: " + l.get("detail"));
            }
            out.print(AdminCalls.table(rows));
            int shown = Math.min(failures.size(), 20);
            for (String f : failures.subList(0, shown)) out.println("failed: " + f);
            if (failures.size() > shown) out.println("... and " + (failures.size() - shown) + " more failures");
            out.printf("%d spam and %d ham messages read from %d folders%n", spamFiles.size(), hamFiles.size(),
                    spamDirs.size() + hamDirs.size());
            out.flush();
            return failures.isEmpty() ? ExitCodes.OK : ExitCodes.FAILURE;
        }

        private void learn(AdminClient client, Path file, boolean isSpam) throws Main.CommandFailedException, InterruptedException {
            AdminClient.Response r;
            try {
                r = client.post("/admin/spam/learn", Map.of("as", isSpam ? "spam" : "ham"), file, Duration.ofSeconds(60));
            } catch (java.io.FileNotFoundException | java.nio.file.NoSuchFileException e) {
                failures.add(file + ": vanished before it was read");
                return;
            } catch (IOException e) {
                throw new Main.CommandFailedException(e.getMessage());
            }
            if (r.status() == 400 || r.status() == 413) {      // this message: empty or too large; the next may do
                failures.add(file + ": " + AdminCalls.error(r));
                return;
            }
            for (Map<String, Object> l : learners(AdminCalls.object(r))) {
                int[] c = counts.computeIfAbsent(String.valueOf(l.get("learner")), k -> new int[3]);
                if ("learnt".equals(l.get("outcome"))) {
                    c[isSpam ? 0 : 1]++;
                } else {
                    c[2]++;
                    failures.add(file + ": " + l.get("learner") + ": " + l.get("detail"));
                }
            }
        }

        @SuppressWarnings("unchecked")
        private static List<Map<String, Object>> learners(Map<String, Object> answer) {
            return (List<Map<String, Object>>) answer.get("learners");
        }

        /** The message files below the folders, each folder's sorted by path. */
        static List<Path> files(List<Path> dirs) throws Main.CommandFailedException, IOException {
            List<Path> all = new ArrayList<>();
            for (Path dir : dirs) {
                if (!Files.isDirectory(dir)) throw new Main.CommandFailedException("not a folder: " + dir);
                try (Stream<Path> s = Files.walk(dir)) {
                    s.filter(Files::isRegularFile).filter(p -> noDotName(dir.relativize(p))).sorted().forEach(all::add);
                }
            }
            return all;
        }

        /** No part of the path below the folder starts with a dot (hidden files, Maildir's .Trash and the like). */
        private static boolean noDotName(Path relative) {
            for (Path part : relative) if (part.toString().startsWith(".")) return false;
            return true;
        }
    }
}
