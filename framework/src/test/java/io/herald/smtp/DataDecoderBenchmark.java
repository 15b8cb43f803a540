package io.herald.smtp;

import java.nio.charset.StandardCharsets;

/**
 * DATA decoding measurement (not a test): microseconds per 5 KB message of 76-octet lines, fed in one block, as the
 * DATA path does after a read. Run from the repository's root after {@code mvn -q -pl framework -am test-compile}:
 * <pre>
 *   java -cp framework/target/test-classes:framework/target/classes io.herald.smtp.DataDecoderBenchmark [messages]
 * </pre>
 * Prints six rounds; the first ones include the JIT's work.
 */
public final class DataDecoderBenchmark {

    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        StringBuilder m = new StringBuilder("Subject: bench\r\nFrom: a@example.org\r\n\r\n");
        while (m.length() < 5120) m.append("The quick brown fox jumps over the lazy dog, said the load generator again.\r\n");
        m.append(".\r\n");
        byte[] wire = m.toString().getBytes(StandardCharsets.US_ASCII);
        long[] decoded = new long[1];
        DataDecoder.Sink sink = (b, off, len) -> decoded[0] += len;
        for (int round = 1; round <= 6; round++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) new DataDecoder(65536, sink).feed(wire, 0, wire.length);
            long t1 = System.nanoTime();
            System.out.printf("round %d: %.2f us per %d-octet message%n", round, (t1 - t0) / 1e3 / n, wire.length);
        }
        if (decoded[0] == 0) throw new AssertionError("nothing decoded");
    }
}
