package io.herald.queue;

import io.herald.api.mail.Envelope;
import io.herald.api.mail.MailAddress;
import io.herald.api.smtp.HeaderField;
import io.herald.api.smtp.SessionInfo;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.zip.CRC32C;

/**
 * The layout of a message file ({@code <id>.msg}); everything big-endian:
 *
 * <pre>
 *   "HERALDQ1"                      8 bytes  magic and format version
 *   envelope length                 int
 *   envelope                        session facts, arrival time, reverse path, recipients, MAIL parameters
 *   message bytes                   as received (the spooled body, Received: first), never rewritten
 *   added header fields             written at commit: count, then name and value of each (modified UTF-8)
 *   trailer (32 bytes):
 *     body offset                   long
 *     body length                   long
 *     headers length                int
 *     CRC32C                        int   over every byte of the file before this field
 *     "HQEND001"                    8 bytes
 * </pre>
 *
 * A file whose trailer is missing, inconsistent with the file length or whose CRC does not match was not
 * committed completely (or was damaged) and is never delivered.
 */
final class EntryFormat {

    static final byte[] MAGIC = "HERALDQ1".getBytes(StandardCharsets.US_ASCII);
    static final byte[] END = "HQEND001".getBytes(StandardCharsets.US_ASCII);
    static final int TRAILER = 32;

    private EntryFormat() { }

    /** What a message file says, once verified. */
    record Parsed(String id, SessionInfo session, Envelope envelope, Instant arrival, List<HeaderField> headers,
                  long bodyOffset, long bodyLength) { }

    static byte[] envelopeBlock(SessionInfo s, Envelope e, Instant arrival) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeLong(arrival.toEpochMilli());
        out.writeUTF(s.sessionId());
        out.writeUTF(s.listener());
        writeAddress(out, s.remote());
        writeAddress(out, s.local());
        writeOptional(out, s.helo());
        out.writeBoolean(s.esmtp());
        out.writeBoolean(s.tls());
        writeOptional(out, s.authenticatedUser());
        out.writeBoolean(e.reversePath().isPresent());
        if (e.reversePath().isPresent()) writeMailAddress(out, e.reversePath().get());
        out.writeInt(e.recipients().size());
        for (MailAddress r : e.recipients()) writeMailAddress(out, r);
        Map<String, String> params = new TreeMap<>(e.mailParameters());
        out.writeInt(params.size());
        for (Map.Entry<String, String> p : params.entrySet()) {
            out.writeUTF(p.getKey());
            out.writeUTF(p.getValue() == null ? "" : p.getValue());
        }
        out.flush();
        ByteArrayOutputStream framed = new ByteArrayOutputStream(bytes.size() + 12);
        DataOutputStream f = new DataOutputStream(framed);
        f.write(MAGIC);
        f.writeInt(bytes.size());
        bytes.writeTo(f);
        f.flush();
        return framed.toByteArray();
    }

    static byte[] headersBlock(List<HeaderField> headers) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeInt(headers.size());
        for (HeaderField h : headers) {
            out.writeUTF(h.name());
            out.writeUTF(h.value());
        }
        out.flush();
        return bytes.toByteArray();
    }

    /** The trailer; {@code crc} must already cover everything before it, and is updated with the first 20 bytes. */
    static ByteBuffer trailer(long bodyOffset, long bodyLength, int headersLength, CRC32C crc) {
        ByteBuffer t = ByteBuffer.allocate(TRAILER);
        t.putLong(bodyOffset).putLong(bodyLength).putInt(headersLength);
        crc.update(t.array(), 0, 20);
        t.putInt((int) crc.getValue());
        t.put(END);
        return t.flip();
    }

    /** Reads and verifies a message file; throws {@link IOException} naming what is wrong when it is not intact. */
    static Parsed read(Path file, String id) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < MAGIC.length + 4 + TRAILER) throw new IOException("too short (" + size + " bytes): no trailer");
            ByteBuffer t = ByteBuffer.allocate(TRAILER);
            readFully(ch, t, size - TRAILER);
            t.flip();
            long bodyOffset = t.getLong();
            long bodyLength = t.getLong();
            int headersLength = t.getInt();
            int storedCrc = t.getInt();
            byte[] end = new byte[8];
            t.get(end);
            if (!java.util.Arrays.equals(end, END)) throw new IOException("no end marker: not completely written");
            if (bodyOffset < MAGIC.length + 4 || bodyLength < 0 || headersLength < 4
                    || bodyOffset + bodyLength + headersLength + TRAILER != size) {
                throw new IOException("trailer does not match the file length " + size);
            }
            CRC32C crc = new CRC32C();
            ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
            long pos = 0;
            long limit = size - 12;
            while (pos < limit) {
                buf.clear().limit((int) Math.min(buf.capacity(), limit - pos));
                int n = ch.read(buf, pos);
                if (n < 0) throw new IOException("unexpected end of file");
                buf.flip();
                crc.update(buf);
                pos += n;
            }
            if ((int) crc.getValue() != storedCrc) throw new IOException("CRC32C mismatch: damaged");

            ByteBuffer head = ByteBuffer.allocate((int) bodyOffset);
            readFully(ch, head, 0);
            byte[] magic = new byte[8];
            head.flip().get(magic);
            if (!java.util.Arrays.equals(magic, MAGIC)) throw new IOException("not a Herald queue file (bad magic)");
            int envLength = head.getInt();
            if (envLength != bodyOffset - 12) throw new IOException("envelope length does not match the body offset");
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(head.array(), 12, envLength));
            Instant arrival = Instant.ofEpochMilli(in.readLong());
            String sessionId = in.readUTF();
            String listener = in.readUTF();
            InetSocketAddress remote = readAddress(in);
            InetSocketAddress local = readAddress(in);
            Optional<String> helo = readOptional(in);
            boolean esmtp = in.readBoolean();
            boolean tls = in.readBoolean();
            Optional<String> auth = readOptional(in);
            Optional<MailAddress> reversePath = in.readBoolean() ? Optional.of(readMailAddress(in)) : Optional.empty();
            int n = in.readInt();
            List<MailAddress> rcpts = new ArrayList<>(n);
            for (int i = 0; i < n; i++) rcpts.add(readMailAddress(in));
            int p = in.readInt();
            Map<String, String> params = new LinkedHashMap<>();
            for (int i = 0; i < p; i++) params.put(in.readUTF(), in.readUTF());

            ByteBuffer hb = ByteBuffer.allocate(headersLength);
            readFully(ch, hb, bodyOffset + bodyLength);
            DataInputStream hin = new DataInputStream(new ByteArrayInputStream(hb.array()));
            int hc = hin.readInt();
            List<HeaderField> headers = new ArrayList<>(hc);
            for (int i = 0; i < hc; i++) headers.add(new HeaderField(hin.readUTF(), hin.readUTF()));

            SessionInfo session = new SessionInfo(sessionId, listener, remote, local, helo, esmtp, tls, auth);
            return new Parsed(id, session, new Envelope(reversePath, rcpts, params), arrival, List.copyOf(headers),
                    bodyOffset, bodyLength);
        } catch (IllegalArgumentException e) {
            throw new IOException("invalid content: " + e.getMessage(), e);
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer b, long pos) throws IOException {
        while (b.hasRemaining()) {
            int n = ch.read(b, pos);
            if (n < 0) throw new IOException("unexpected end of file");
            pos += n;
        }
    }

    private static void writeOptional(DataOutputStream out, Optional<String> v) throws IOException {
        out.writeBoolean(v.isPresent());
        if (v.isPresent()) out.writeUTF(v.get());
    }

    private static Optional<String> readOptional(DataInputStream in) throws IOException {
        return in.readBoolean() ? Optional.of(in.readUTF()) : Optional.empty();
    }

    private static void writeMailAddress(DataOutputStream out, MailAddress a) throws IOException {
        out.writeUTF(a.localPart());
        out.writeUTF(a.domain());
    }

    private static MailAddress readMailAddress(DataInputStream in) throws IOException {
        return new MailAddress(in.readUTF(), in.readUTF());
    }

    /** Kind byte: 0 none, 1 IP literal, 2 unresolved host name. No DNS lookups on either side. */
    private static void writeAddress(DataOutputStream out, InetSocketAddress a) throws IOException {
        if (a == null) {
            out.writeByte(0);
        } else if (a.getAddress() != null) {
            out.writeByte(1);
            byte[] ip = a.getAddress().getAddress();
            out.writeByte(ip.length);
            out.write(ip);
            out.writeInt(a.getPort());
        } else {
            out.writeByte(2);
            out.writeUTF(a.getHostString());
            out.writeInt(a.getPort());
        }
    }

    private static InetSocketAddress readAddress(DataInputStream in) throws IOException {
        int kind = in.readByte();
        switch (kind) {
            case 0:
                return null;
            case 1: {
                byte[] ip = new byte[in.readByte()];
                in.readFully(ip);
                return new InetSocketAddress(InetAddress.getByAddress(ip), in.readInt());
            }
            case 2:
                return InetSocketAddress.createUnresolved(in.readUTF(), in.readInt());
            default:
                throw new IOException("bad address kind " + kind);
        }
    }
}
