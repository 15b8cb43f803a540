package io.herald.plugin.webhook;

import io.herald.api.mailbox.MailboxEvent;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The events not delivered at shutdown, kept for the next start when {@code replay = true}: one file,
 * {@code data/notify-webhook/undelivered.bin}, written to a temporary name, forced and renamed; read and deleted at
 * start. Format: magic {@code HWJ1}, the count, then per event a kind byte and its fields (DataOutput).
 */
final class EventJournal {

    static final String FILE = "undelivered.bin";
    private static final int MAGIC = 0x48574A31; // "HWJ1"

    private final Path file;

    EventJournal(Path dataDir) {
        this.file = dataDir.resolve(FILE);
    }

    Path file() { return file; }

    void write(List<MailboxEvent> events) throws IOException {
        Files.createDirectories(file.getParent());
        Path tmp = file.resolveSibling(FILE + ".tmp");
        try (OutputStream raw = Files.newOutputStream(tmp);
             DataOutputStream out = new DataOutputStream(new BufferedOutputStream(raw))) {
            out.writeInt(MAGIC);
            out.writeInt(events.size());
            for (MailboxEvent e : events) write(out, e);
        }
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** The kept events, and the file removed (so they are handed out once). Empty when there is none. */
    List<MailboxEvent> take() throws IOException {
        if (!Files.exists(file)) return List.of();
        List<MailboxEvent> out = new ArrayList<>();
        try (InputStream raw = Files.newInputStream(file);
             DataInputStream in = new DataInputStream(new BufferedInputStream(raw))) {
            if (in.readInt() != MAGIC) throw new IOException(file + " is not a webhook journal");
            int n = in.readInt();
            for (int i = 0; i < n; i++) out.add(read(in));
        }
        Files.delete(file);
        return out;
    }

    private static void write(DataOutputStream out, MailboxEvent e) throws IOException {
        if (e instanceof MailboxEvent.MessageAdded a) {
            out.writeByte(1);
            out.writeUTF(a.mailbox());
            out.writeUTF(a.folder());
            out.writeLong(a.uidValidity());
            out.writeLong(a.uid());
            out.writeUTF(a.from() == null ? "" : a.from());
            out.writeUTF(a.subject() == null ? "" : a.subject());
            out.writeLong(a.size());
            out.writeBoolean(a.junk());
        } else if (e instanceof MailboxEvent.FlagsChanged f) {
            out.writeByte(2);
            out.writeUTF(f.mailbox());
            out.writeUTF(f.folder());
            out.writeLong(f.uid());
            out.writeInt(f.flags().size());
            for (String s : f.flags()) out.writeUTF(s);
        } else if (e instanceof MailboxEvent.Expunged x) {
            out.writeByte(3);
            out.writeUTF(x.mailbox());
            out.writeUTF(x.folder());
            out.writeLong(x.uid());
        } else {
            MailboxEvent.FolderChanged c = (MailboxEvent.FolderChanged) e;
            out.writeByte(4);
            out.writeUTF(c.mailbox());
            out.writeUTF(c.folder());
            out.writeUTF(c.change().name());
            out.writeBoolean(c.newName() != null);
            if (c.newName() != null) out.writeUTF(c.newName());
        }
        out.writeLong(e.time().getEpochSecond());
        out.writeInt(e.time().getNano());
    }

    private static MailboxEvent read(DataInputStream in) throws IOException {
        int kind = in.readByte();
        switch (kind) {
            case 1 -> {
                String mb = in.readUTF(), folder = in.readUTF();
                long uv = in.readLong(), uid = in.readLong();
                String from = in.readUTF(), subject = in.readUTF();
                long size = in.readLong();
                boolean junk = in.readBoolean();
                return new MailboxEvent.MessageAdded(mb, folder, uv, uid, from, subject, size, junk, time(in));
            }
            case 2 -> {
                String mb = in.readUTF(), folder = in.readUTF();
                long uid = in.readLong();
                int n = in.readInt();
                Set<String> flags = new HashSet<>();
                for (int i = 0; i < n; i++) flags.add(in.readUTF());
                return new MailboxEvent.FlagsChanged(mb, folder, uid, flags, time(in));
            }
            case 3 -> {
                String mb = in.readUTF(), folder = in.readUTF();
                long uid = in.readLong();
                return new MailboxEvent.Expunged(mb, folder, uid, time(in));
            }
            case 4 -> {
                String mb = in.readUTF(), folder = in.readUTF();
                MailboxEvent.FolderChanged.Change change = MailboxEvent.FolderChanged.Change.valueOf(in.readUTF());
                String newName = in.readBoolean() ? in.readUTF() : null;
                return new MailboxEvent.FolderChanged(mb, folder, change, newName, time(in));
            }
            default -> throw new IOException("unknown event kind " + kind + " in the webhook journal");
        }
    }

    private static Instant time(DataInputStream in) throws IOException {
        return Instant.ofEpochSecond(in.readLong(), in.readInt());
    }
}
