package io.herald.plugin.mailbox;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.zip.CRC32C;

/**
 * One record of a mailbox log. On disk: {@code int length, int crc32c(payload), payload}; the payload starts with
 * a type byte. Strings are {@code int length + UTF-8}. New record types get new type bytes; a reader skips types it
 * does not know. Mutable state (flags, folder membership, folders, subscriptions) is recorded as further records;
 * message files are never rewritten. Mod-sequences are not written: replaying the records in order derives them
 * (every record that changes a folder bumps its HIGHESTMODSEQ by one).
 *
 * <pre>
 * 1 MAILBOX_CREATED  version, mailbox, time
 * 2 FOLDER_CREATED   folder, uidValidity, time
 * 3 MESSAGE_ADDED    folder, uid, uidValidity, blob, size, internalDate, flags, deliveryKey ("" for append/copy), from, subject, messageId
 * 4 FLAGS_SET        folder, uid, flags (the whole new set)
 * 5 EXPUNGED         folder, uid
 * 6 FOLDER_DELETED   folder
 * 7 FOLDER_RENAMED   from, to (one record per folder: a rename of a parent writes one for each sub-folder too)
 * 8 SUBSCRIBED       folder, subscribed (boolean)
 * 9 MESSAGE_MOVED    fromFolder, fromUid, toFolder, toUid (one record: a crash never leaves both or neither)
 * </pre>
 */
sealed interface LogRecord {

    byte MAILBOX_CREATED = 1;
    byte FOLDER_CREATED = 2;
    byte MESSAGE_ADDED = 3;
    byte FLAGS_SET = 4;
    byte EXPUNGED = 5;
    byte FOLDER_DELETED = 6;
    byte FOLDER_RENAMED = 7;
    byte SUBSCRIBED = 8;
    byte MESSAGE_MOVED = 9;

    /** The largest payload accepted when reading; a bigger length means a damaged record. */
    int MAX_PAYLOAD = 16 * 1024 * 1024;

    record MailboxCreated(int version, String mailbox, Instant time) implements LogRecord { }

    record FolderCreated(String folder, long uidValidity, Instant time) implements LogRecord { }

    record MessageAdded(String folder, long uid, long uidValidity, String blob, long size, Instant internalDate,
                        Set<String> flags, String deliveryKey, String from, String subject, String messageId)
            implements LogRecord { }

    record FlagsSet(String folder, long uid, Set<String> flags) implements LogRecord { }

    record Expunged(String folder, long uid) implements LogRecord { }

    record FolderDeleted(String folder) implements LogRecord { }

    record FolderRenamed(String from, String to) implements LogRecord { }

    record Subscribed(String folder, boolean subscribed) implements LogRecord { }

    record MessageMoved(String fromFolder, long fromUid, String toFolder, long toUid) implements LogRecord { }

    /** A record type this version does not know (written by a newer version). */
    record Unknown(byte type) implements LogRecord { }

    /** The framed bytes of a record, ready to append. */
    static byte[] encode(LogRecord r) {
        try {
            ByteArrayOutputStream payload = new ByteArrayOutputStream(256);
            DataOutputStream out = new DataOutputStream(payload);
            if (r instanceof MailboxCreated m) {
                    out.writeByte(MAILBOX_CREATED);
                    out.writeInt(m.version());
                    str(out, m.mailbox());
                    instant(out, m.time());
            } else if (r instanceof FolderCreated f) {
                    out.writeByte(FOLDER_CREATED);
                    str(out, f.folder());
                    out.writeLong(f.uidValidity());
                    instant(out, f.time());
            } else if (r instanceof MessageAdded m) {
                    out.writeByte(MESSAGE_ADDED);
                    str(out, m.folder());
                    out.writeLong(m.uid());
                    out.writeLong(m.uidValidity());
                    str(out, m.blob());
                    out.writeLong(m.size());
                    instant(out, m.internalDate());
                    out.writeInt(m.flags().size());
                    for (String f : m.flags()) str(out, f);
                    str(out, m.deliveryKey());
                    str(out, m.from());
                    str(out, m.subject());
                    str(out, m.messageId());
            } else if (r instanceof FlagsSet f) {
                out.writeByte(FLAGS_SET);
                str(out, f.folder());
                out.writeLong(f.uid());
                out.writeInt(f.flags().size());
                for (String x : f.flags()) str(out, x);
            } else if (r instanceof Expunged e) {
                out.writeByte(EXPUNGED);
                str(out, e.folder());
                out.writeLong(e.uid());
            } else if (r instanceof FolderDeleted d) {
                out.writeByte(FOLDER_DELETED);
                str(out, d.folder());
            } else if (r instanceof FolderRenamed n) {
                out.writeByte(FOLDER_RENAMED);
                str(out, n.from());
                str(out, n.to());
            } else if (r instanceof Subscribed s) {
                out.writeByte(SUBSCRIBED);
                str(out, s.folder());
                out.writeBoolean(s.subscribed());
            } else if (r instanceof MessageMoved m) {
                out.writeByte(MESSAGE_MOVED);
                str(out, m.fromFolder());
                out.writeLong(m.fromUid());
                str(out, m.toFolder());
                out.writeLong(m.toUid());
            } else {
                throw new IllegalArgumentException("cannot write " + r);
            }
            out.flush();
            byte[] p = payload.toByteArray();
            CRC32C crc = new CRC32C();
            crc.update(p);
            ByteArrayOutputStream framed = new ByteArrayOutputStream(p.length + 8);
            DataOutputStream f = new DataOutputStream(framed);
            f.writeInt(p.length);
            f.writeInt((int) crc.getValue());
            f.write(p);
            return framed.toByteArray();
        } catch (IOException e) {
            throw new IllegalStateException(e); // in-memory streams do not fail
        }
    }

    /** Decodes a payload whose checksum was verified. */
    static LogRecord decode(byte[] payload) throws IOException {
        DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(payload));
        byte type = in.readByte();
        return switch (type) {
            case MAILBOX_CREATED -> new MailboxCreated(in.readInt(), str(in), instant(in));
            case FOLDER_CREATED -> new FolderCreated(str(in), in.readLong(), instant(in));
            case MESSAGE_ADDED -> {
                String folder = str(in);
                long uid = in.readLong();
                long uidValidity = in.readLong();
                String blob = str(in);
                long size = in.readLong();
                Instant date = instant(in);
                int n = in.readInt();
                Set<String> flags = new LinkedHashSet<>();
                for (int i = 0; i < n; i++) flags.add(str(in));
                yield new MessageAdded(folder, uid, uidValidity, blob, size, date, flags, str(in), str(in), str(in), str(in));
            }
            case FLAGS_SET -> {
                String folder = str(in);
                long uid = in.readLong();
                int n = in.readInt();
                if (n < 0 || n > 100_000) throw new IOException("bad flag count " + n);
                Set<String> flags = new LinkedHashSet<>();
                for (int i = 0; i < n; i++) flags.add(str(in));
                yield new FlagsSet(folder, uid, flags);
            }
            case EXPUNGED -> new Expunged(str(in), in.readLong());
            case FOLDER_DELETED -> new FolderDeleted(str(in));
            case FOLDER_RENAMED -> new FolderRenamed(str(in), str(in));
            case SUBSCRIBED -> new Subscribed(str(in), in.readBoolean());
            case MESSAGE_MOVED -> new MessageMoved(str(in), in.readLong(), str(in), in.readLong());
            default -> new Unknown(type);
        };
    }

    private static void str(DataOutputStream out, String s) throws IOException {
        byte[] b = (s == null ? "" : s).getBytes(StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }

    private static String str(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > MAX_PAYLOAD) throw new IOException("bad string length " + n);
        return new String(in.readNBytes(n), StandardCharsets.UTF_8);
    }

    private static void instant(DataOutputStream out, Instant t) throws IOException {
        out.writeLong(t.getEpochSecond());
        out.writeInt(t.getNano());
    }

    private static Instant instant(DataInputStream in) throws IOException {
        return Instant.ofEpochSecond(in.readLong(), in.readInt());
    }
}
