package io.herald.plugin.spambayes;

import java.nio.file.Files;
import java.nio.file.Path;

final class TestCorpus {
    static Path root() {
        String p = System.getProperty("herald.corpus");
        if (p == null) throw new IllegalStateException("system property herald.corpus is not set (run through Maven)");
        Path root = Path.of(p);
        if (!Files.isDirectory(root.resolve("spam"))) throw new IllegalStateException("no corpus at " + root);
        return root;
    }

    private TestCorpus() { }
}
