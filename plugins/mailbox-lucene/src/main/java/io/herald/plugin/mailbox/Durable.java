package io.herald.plugin.mailbox;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** File-system syncs. */
final class Durable {
    private Durable() { }

    /** Makes the entries of a folder (created, renamed files) durable. A no-op where folders cannot be opened (Windows). */
    static void syncDir(Path dir) throws IOException {
        if (dir == null) return;
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            if (System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).startsWith("windows")) return;
            throw e;
        }
    }
}
