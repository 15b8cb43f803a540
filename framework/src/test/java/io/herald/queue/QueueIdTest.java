package io.herald.queue;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/** Queue ids are 14 upper-case hex digits, as {@code String.format("%014X")} wrote them (files on disk keep their names). */
class QueueIdTest {

    @Test
    void hex14IsTheFormattedId() {
        assertThat(FileQueue.hex14(0)).isEqualTo("00000000000000");
        assertThat(FileQueue.hex14(0xABCDEF)).isEqualTo("00000000ABCDEF");
        long now = System.currentTimeMillis() << 12;
        assertThat(FileQueue.hex14(now)).isEqualTo(String.format("%014X", now));
        SplittableRandom r = new SplittableRandom(12);
        for (int i = 0; i < 10_000; i++) {
            long id = r.nextLong(1L << 56);
            assertThat(FileQueue.hex14(id)).isEqualTo(String.format("%014X", id));
        }
    }
}
