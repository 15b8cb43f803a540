package io.herald.plugin.mailbox;

import io.herald.api.mailbox.FlagOp;
import io.herald.api.mailbox.Flags;
import io.herald.api.mailbox.StoredMessage;
import io.herald.api.mailbox.UidSet;

import java.nio.file.Path;
import java.util.Set;

/**
 * Run by {@link CrashTest} in a child JVM: delivers in a loop (from two threads) and prints "ACK key" once deliver()
 * returned; every 7th message also gets a flag change. Killed hard by the test.
 */
public final class CrashChild {
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        String round = args[1];
        LuceneMailboxStore store = new LuceneMailboxStore(dir, new TestSupport.MapConfig(java.util.Map.of("index.commit-interval", "200ms")), e -> { });
        store.create(CrashTest.OLAF);
        System.out.println("READY");
        System.out.flush();
        Runnable worker = () -> {
            try {
                for (int i = 0; ; i++) {
                    String key = round + "-" + Thread.currentThread().getName() + "-" + i;
                    StoredMessage m = store.deliver(TestSupport.inbox(CrashTest.OLAF,
                            TestSupport.message("crash " + key, "payload " + key.replace('-', 'x') + " word" + i), key));
                    if (i % 7 == 0) store.storeFlags(CrashTest.OLAF, "INBOX", UidSet.of(m.uid()), FlagOp.ADD, Set.of(Flags.SEEN));
                    synchronized (System.out) {
                        System.out.println("ACK " + key);
                        System.out.flush();
                    }
                }
            } catch (Exception e) {
                e.printStackTrace();
            }
        };
        Thread a = new Thread(worker, "a"), b = new Thread(worker, "b");
        a.start();
        b.start();
        a.join();
    }
}
