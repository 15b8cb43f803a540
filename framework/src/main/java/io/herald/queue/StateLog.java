package io.herald.queue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Optional;
import java.util.zip.CRC32C;

/**
 * The per-recipient state of one entry ({@code <id>.state}): an append-only text file, one line per change,
 * forced before the change counts (except a local delivery's, see {@link FileQueue#updateRepeatable}). A line is
 * <pre>  index STATUS attempts nextAttemptMillis(-1 = none) updatedMillis reply #crc32c-hex</pre>
 * (the reply has CR and LF replaced by spaces). The last line of the file wins for each index. A line torn by
 * a crash (no newline, or a CRC that does not match) is ignored, and cut off before anything is appended.
 * The file itself is created empty in the commit batch, before the directory sync, so it exists whenever its
 * message does.
 */
final class StateLog {

    private StateLog() { }

    static String line(RecipientState s) {
        String reply = s.lastReply().replace('\r', ' ').replace('\n', ' ');
        String payload = s.index() + " " + s.status() + " " + s.attempts() + " "
                + s.nextAttempt().map(Instant::toEpochMilli).orElse(-1L) + " "
                + s.updated().map(Instant::toEpochMilli).orElse(-1L) + " " + reply;
        CRC32C crc = new CRC32C();
        crc.update(payload.getBytes(StandardCharsets.UTF_8));
        return payload + " #" + HexFormat.of().toHexDigits((int) crc.getValue()) + "\n";
    }

    /** Appends one change and forces it, and the folder with the file's name, to disk. */
    static void append(Path file, RecipientState s) throws IOException {
        append(file, s, true, false);
    }

    /**
     * Appends one change, creating the file with the first one. Forced to disk when {@code force}, else left to the
     * page cache (a process crash keeps it, a power failure may not; the next forced change of the same file makes it
     * durable too). A forced change also forces the folder, so that the file's name is durable, unless the caller
     * knows it already is ({@code nameDurable}: the folder was forced since the file was created).
     */
    static void append(Path file, RecipientState s, boolean force, boolean nameDurable) throws IOException {
        boolean created = !Files.exists(file);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            ByteBuffer b = ByteBuffer.wrap(line(s).getBytes(StandardCharsets.UTF_8));
            while (b.hasRemaining()) ch.write(b);
            if (force) ch.force(false);
        }
        if (force && (created || !nameDurable)) FileQueue.forceDirectory(file.getParent());
    }

    /** Applies the file's lines to {@code states} (indexed by recipient); cuts a torn tail off the file. */
    static void load(Path file, RecipientState[] states) throws IOException {
        load(file, states, true);
    }

    /**
     * As {@link #load(Path, RecipientState[])}; with {@code repair = false} nothing is written (a reader beside the
     * running server, which may be appending a line right now: an incomplete last line is only skipped).
     */
    static void load(Path file, RecipientState[] states, boolean repair) throws IOException {
        if (!Files.exists(file)) return;
        byte[] all = Files.readAllBytes(file);
        int lastNewline = -1;
        for (int i = all.length - 1; i >= 0; i--) {
            if (all[i] == '\n') { lastNewline = i; break; }
        }
        if (repair && lastNewline + 1 < all.length) {
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                ch.truncate(lastNewline + 1);
                ch.force(false);
            }
        }
        String text = new String(all, 0, lastNewline + 1, StandardCharsets.UTF_8);
        for (String line : text.split("\n")) {
            if (line.isEmpty()) continue;
            int hash = line.lastIndexOf(" #");
            if (hash < 0) continue;
            String payload = line.substring(0, hash);
            CRC32C crc = new CRC32C();
            crc.update(payload.getBytes(StandardCharsets.UTF_8));
            if (!HexFormat.of().toHexDigits((int) crc.getValue()).equals(line.substring(hash + 2))) continue;
            String[] f = payload.split(" ", 6);
            if (f.length < 5) continue;
            try {
                int index = Integer.parseInt(f[0]);
                if (index < 0 || index >= states.length) continue;
                long next = Long.parseLong(f[3]);
                long updated = Long.parseLong(f[4]);
                states[index] = new RecipientState(index, states[index].recipient(), RecipientState.Status.valueOf(f[1]),
                        Integer.parseInt(f[2]), next < 0 ? Optional.empty() : Optional.of(Instant.ofEpochMilli(next)),
                        f.length > 5 ? f[5] : "", updated < 0 ? Optional.empty() : Optional.of(Instant.ofEpochMilli(updated)));
            } catch (IllegalArgumentException e) {
                // a line that passed its CRC but does not parse was written by a newer format: skip it
            }
        }
    }
}
