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
 * a type byte. Strings are {@code int length + UTF-8}. New record types (flags, expunge, folder rename, ...) get new
 * type bytes; a reader skips types it does not know.
 */
sealed interface LogRecord {

    byte MAILBOX_CREATED = 1;
    byte FOLDER_CREATED = 2;
    byte MESSAGE_ADDED = 3;

    /** The largest payload accepted when reading; a bigger length means a damaged record. */
    int MAX_PAYLOAD = 16 * 1024 * 1024;

    record MailboxCreated(int version, String mailbox, Instant time) implements LogRecord { }

    record FolderCreated(String folder, long uidValidity, Instant time) implements LogRecord { }

    record MessageAdded(String folder, long uid, long uidValidity, String blob, long size, Instant internalDate,
                        Set<String> flags, String deliveryKey, String from, String subject, String messageId)
            implements LogRecord { }

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
