package io.herald.plugin.mailbox;

import io.herald.api.mail.MessageContent;
import io.herald.api.mailbox.FlagOp;
import io.herald.api.mailbox.Flags;
import io.herald.api.mailbox.FolderInfo;
import io.herald.api.mailbox.Folders;
import io.herald.api.mailbox.MailboxEvent;
import io.herald.api.mailbox.MailboxException;
import io.herald.api.mailbox.SearchCriteria;
import io.herald.api.mailbox.StoredMessage;
import io.herald.api.mailbox.UidSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import static io.herald.plugin.mailbox.TestSupport.message;
import static io.herald.plugin.mailbox.TestSupport.read;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Folders, UIDs, flags, mod-sequences, copy/move/expunge, quota, events, blob GC — and all of it after reopen. */
class MailboxModelTest {

    static final String OLAF = "olaf@herald.test";
    static final Instant T = Instant.parse("2026-03-04T05:06:07Z");

    @TempDir Path dir;
    final TestSupport.Events events = new TestSupport.Events();

    LuceneMailboxStore open() {
        return new LuceneMailboxStore(dir, TestSupport.CONFIG, events);
    }

    StoredMessage append(LuceneMailboxStore s, String folder, String subject, String... flags) throws Exception {
        return s.append(OLAF, folder, MessageContent.of(message(subject, "body of " + subject)), Set.of(flags), T);
    }

    @Test
    void foldersHaveSpecialUseHierarchyAndCaseInsensitiveInbox() throws Exception {
        try (LuceneMailboxStore s = open()) {
            s.create(OLAF);
            s.createFolder(OLAF, "Work");
            s.createFolder(OLAF, "Work/Projects");
            assertThatThrownBy(() -> s.createFolder(OLAF, "Work")).isInstanceOfSatisfying(MailboxException.class,
                    e -> assertThat(e.reason()).isEqualTo(MailboxException.Reason.ALREADY_EXISTS));
            assertThatThrownBy(() -> s.createFolder(OLAF, "bad/")).isInstanceOf(MailboxException.class);
            assertThatThrownBy(() -> s.deleteFolder(OLAF, "inbox")).isInstanceOfSatisfying(MailboxException.class,
                    e -> assertThat(e.reason()).isEqualTo(MailboxException.Reason.NOT_ALLOWED));
            append(s, "inbox", "lower-case inbox");
            assertThat(s.list(OLAF, "InBoX")).hasSize(1);
            Map<String, FolderInfo> infos = new java.util.HashMap<>();
            for (FolderInfo i : s.folderInfos(OLAF)) infos.put(i.name(), i);
            assertThat(infos.get("Sent").attributes()).contains("\\Sent", "\\HasNoChildren");
            assertThat(infos.get("Junk").attributes()).contains("\\Junk");
            assertThat(infos.get("Trash").attributes()).contains("\\Trash");
            assertThat(infos.get("Drafts").attributes()).contains("\\Drafts");
            assertThat(infos.get("Work").attributes()).containsExactly("\\HasChildren");
            assertThat(infos.get("INBOX").subscribed()).isTrue();
            assertThat(infos.get("Work").subscribed()).isFalse();
            s.subscribe(OLAF, "Work", true);
            assertThat(s.subscriptions(OLAF)).contains("Work", "INBOX");
        }
        try (LuceneMailboxStore s = open()) {
            assertThat(s.folders(OLAF)).containsExactly("INBOX", "Drafts", "Junk", "Sent", "Trash", "Work", "Work/Projects");
            assertThat(s.subscriptions(OLAF)).contains("Work");
            assertThat(s.folderInfo(OLAF, "Sent").attributes()).contains("\\Sent");
        }
    }

    @Test
    void uidValidityChangesOnlyWhenAFolderIsDeletedAndCreatedAgain() throws Exception {
        long before;
        try (LuceneMailboxStore s = open()) {
            s.create(OLAF);
            s.createFolder(OLAF, "A");
            before = s.folderInfo(OLAF, "A").uidValidity();
            append(s, "A", "one");
            append(s, "A", "two");
        }
        try (LuceneMailboxStore s = open()) {
            assertThat(s.folderInfo(OLAF, "A").uidValidity()).isEqualTo(before); // reopen keeps it
            assertThat(s.folderInfo(OLAF, "A").uidNext()).isEqualTo(3);
            s.expunge(OLAF, "A", null);
            s.storeFlags(OLAF, "A", UidSet.of(2), FlagOp.ADD, Set.of(Flags.DELETED));
            s.expunge(OLAF, "A", null);
            assertThat(s.folderInfo(OLAF, "A").uidNext()).isEqualTo(3); // UIDs never reused
            s.renameFolder(OLAF, "A", "B");
            assertThat(s.folderInfo(OLAF, "B").uidValidity()).isEqualTo(before); // rename keeps UIDs valid
            s.deleteFolder(OLAF, "B");
            s.createFolder(OLAF, "B");
            FolderInfo again = s.folderInfo(OLAF, "B");
            assertThat(again.uidValidity()).isGreaterThan(before);
            assertThat(again.uidNext()).isEqualTo(1);
            assertThat(again.messages()).isZero();
        }
    }

    @Test
    void flagsAndKeywordsRoundTripWithModSeqAlsoAfterReopen() throws Exception {
        long highest;
        try (LuceneMailboxStore s = open()) {
            s.create(OLAF);
            StoredMessage m = append(s, "INBOX", "flags", "\\seen", "$Label1");
            assertThat(m.flags()).containsExactlyInAnyOrder(Flags.SEEN, "$Label1"); // canonical spelling
            long h0 = s.folderInfo(OLAF, "INBOX").highestModSeq();
            List<StoredMessage> changed = s.storeFlags(OLAF, "INBOX", UidSet.ALL, FlagOp.ADD, Set.of(Flags.FLAGGED, "$label1"));
            assertThat(changed).singleElement().satisfies(c -> {
                assertThat(c.flags()).containsExactlyInAnyOrder(Flags.SEEN, "$Label1", Flags.FLAGGED);
                assertThat(c.modSeq()).isGreaterThan(m.modSeq());
            });
            assertThat(s.folderInfo(OLAF, "INBOX").highestModSeq()).isGreaterThan(h0);
            assertThat(s.storeFlags(OLAF, "INBOX", UidSet.ALL, FlagOp.ADD, Set.of(Flags.FLAGGED))).isEmpty(); // no change, no bump
            s.storeFlags(OLAF, "INBOX", UidSet.of(m.uid()), FlagOp.REMOVE, Set.of(Flags.SEEN));
            s.storeFlags(OLAF, "INBOX", UidSet.of(m.uid()), FlagOp.ADD, Set.of("\\Recent", "NonJunk"));
            assertThatThrownBy(() -> s.storeFlags(OLAF, "INBOX", UidSet.ALL, FlagOp.ADD, Set.of("\\Bogus")))
                    .isInstanceOf(MailboxException.class);
            assertThat(s.changedSince(OLAF, "INBOX", h0)).hasSize(1);
            assertThat(s.list(OLAF, "INBOX").get(0).flags()).containsExactlyInAnyOrder("$Label1", Flags.FLAGGED, "NonJunk");
            highest = s.folderInfo(OLAF, "INBOX").highestModSeq();
            assertThat(events.of(MailboxEvent.FlagsChanged.class)).hasSize(3);
            s.storeFlags(OLAF, "INBOX", UidSet.ALL, FlagOp.REPLACE, Set.of(Flags.ANSWERED, "$Label1", "NonJunk", Flags.FLAGGED));
            highest = s.folderInfo(OLAF, "INBOX").highestModSeq();
        }
        try (LuceneMailboxStore s = open()) {
            StoredMessage m = s.list(OLAF, "INBOX").get(0);
            assertThat(m.flags()).containsExactlyInAnyOrder(Flags.ANSWERED, "$Label1", "NonJunk", Flags.FLAGGED);
            assertThat(s.folderInfo(OLAF, "INBOX").highestModSeq()).isEqualTo(highest); // derived by replay, identical
            assertThat(m.modSeq()).isEqualTo(highest);
            assertThat(s.search(OLAF, "INBOX", SearchCriteria.keyword("$label1"))).containsExactly(m.uid());
            assertThat(s.search(OLAF, "INBOX", SearchCriteria.unseen())).containsExactly(m.uid());
        }
    }

    @Test
    void copyAndMoveKeepContentAndAssignNewUids() throws Exception {
        try (LuceneMailboxStore s = open()) {
            s.create(OLAF);
            s.createFolder(OLAF, "Archive");
            append(s, "Archive", "already there"); // Archive's UIDNEXT is 2
            StoredMessage a = append(s, "INBOX", "alpha", Flags.SEEN);
            StoredMessage b = append(s, "INBOX", "beta");
            byte[] alpha = read(s.content(OLAF, "INBOX", a.uid()).orElseThrow());

            SortedMap<Long, Long> copied = s.copy(OLAF, "INBOX", UidSet.of(a.uid(), b.uid(), 99), "Archive");
            assertThat(copied).containsExactly(Map.entry(a.uid(), 2L), Map.entry(b.uid(), 3L));
            assertThat(read(s.content(OLAF, "Archive", 2).orElseThrow())).isEqualTo(alpha);
            assertThat(s.list(OLAF, "Archive", UidSet.of(2)).get(0).flags()).containsExactly(Flags.SEEN);
            assertThat(s.list(OLAF, "INBOX")).hasSize(2);

            SortedMap<Long, Long> moved = s.move(OLAF, "INBOX", UidSet.of(a.uid()), "Trash");
            assertThat(moved).containsExactly(Map.entry(a.uid(), 1L));
            assertThat(s.list(OLAF, "INBOX")).extracting(StoredMessage::uid).containsExactly(b.uid());
            assertThat(read(s.content(OLAF, "Trash", 1).orElseThrow())).isEqualTo(alpha);
            assertThat(s.search(OLAF, "Trash", SearchCriteria.subject("alpha"))).containsExactly(1L);
            assertThat(s.search(OLAF, "INBOX", SearchCriteria.subject("alpha"))).isEmpty();
            assertThat(s.search(OLAF, "Archive", SearchCriteria.body("alpha"))).containsExactly(2L);
            assertThat(events.of(MailboxEvent.Expunged.class)).extracting(MailboxEvent.Expunged::uid).containsExactly(a.uid());
            assertThat(events.of(MailboxEvent.MessageAdded.class)).filteredOn(e -> e.folder().equals("Trash")).hasSize(1);
            assertThat(s.indexedCount(OLAF)).isEqualTo(5);
        }
        try (LuceneMailboxStore s = open()) {
            assertThat(s.list(OLAF, "Archive")).extracting(StoredMessage::uid).containsExactly(1L, 2L, 3L);
            assertThat(s.list(OLAF, "Trash")).extracting(StoredMessage::subject).containsExactly("alpha");
            assertThat(s.folderInfo(OLAF, "INBOX").uidNext()).isEqualTo(3);
        }
    }

    @Test
    void renameKeepsMessagesAndSubFoldersAndRenamingInboxMovesItsMessages() throws Exception {
        try (LuceneMailboxStore s = open()) {
            s.create(OLAF);
            s.createFolder(OLAF, "Work");
            s.createFolder(OLAF, "Work/Old");
            append(s, "Work", "report");
            append(s, "Work/Old", "older report");
            s.subscribe(OLAF, "Work", true);
            s.renameFolder(OLAF, "Work", "Job");
            assertThat(s.folders(OLAF)).contains("Job", "Job/Old").doesNotContain("Work", "Work/Old");
            assertThat(s.list(OLAF, "Job")).extracting(StoredMessage::subject, StoredMessage::folder)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple("report", "Job"));
            assertThat(s.search(OLAF, "Job/Old", SearchCriteria.subject("older"))).containsExactly(1L);
            assertThat(s.subscriptions(OLAF)).contains("Job");
            assertThat(events.of(MailboxEvent.FolderChanged.class)).filteredOn(e -> e.change() == MailboxEvent.FolderChanged.Change.RENAMED)
                    .extracting(MailboxEvent.FolderChanged::newName).containsExactly("Job", "Job/Old");

            append(s, "INBOX", "in the inbox");
            s.renameFolder(OLAF, "INBOX", "Old Inbox");
            assertThat(s.list(OLAF, "INBOX")).isEmpty();
            assertThat(s.list(OLAF, "Old Inbox")).extracting(StoredMessage::subject).containsExactly("in the inbox");
            assertThat(s.search(OLAF, "Old Inbox", SearchCriteria.body("inbox"))).containsExactly(1L);
        }
        try (LuceneMailboxStore s = open()) {
            assertThat(s.list(OLAF, "Job/Old")).extracting(StoredMessage::subject).containsExactly("older report");
            assertThat(s.list(OLAF, "Old Inbox")).hasSize(1);
            assertThat(s.search(OLAF, "Job", SearchCriteria.text("report"))).containsExactly(1L);
        }
    }

    @Test
    void expungeRemovesDeletedMessagesOnlyAndUidExpungeOnlyInTheSet() throws Exception {
        try (LuceneMailboxStore s = open()) {
            s.create(OLAF);
            for (int i = 1; i <= 5; i++) append(s, "INBOX", "m" + i);
            s.storeFlags(OLAF, "INBOX", UidSet.parse("2:4"), FlagOp.ADD, Set.of(Flags.DELETED));
            assertThat(s.expunge(OLAF, "INBOX", UidSet.of(3))).containsExactly(3L);
            assertThat(s.search(OLAF, "INBOX", SearchCriteria.deleted())).containsExactly(2L, 4L);
            long hms = s.folderInfo(OLAF, "INBOX").highestModSeq();
            assertThat(s.expunge(OLAF, "INBOX", null)).containsExactly(2L, 4L);
            assertThat(s.folderInfo(OLAF, "INBOX").highestModSeq()).isGreaterThan(hms);
            assertThat(s.list(OLAF, "INBOX")).extracting(StoredMessage::uid).containsExactly(1L, 5L);
            assertThat(s.search(OLAF, "INBOX", SearchCriteria.subject("m2"))).isEmpty();
            assertThat(s.indexedCount(OLAF)).isEqualTo(2);
            assertThat(events.of(MailboxEvent.Expunged.class)).extracting(MailboxEvent.Expunged::uid).containsExactly(3L, 2L, 4L);
        }
        try (LuceneMailboxStore s = open()) {
            assertThat(s.list(OLAF, "INBOX")).extracting(StoredMessage::uid).containsExactly(1L, 5L);
            assertThat(s.indexedCount(OLAF)).isEqualTo(2);
        }
    }

    @Test
    void concurrentDeliveriesAndAppendsGetStrictlyAscendingUids() throws Exception {
        try (LuceneMailboxStore s = open()) {
            s.create(OLAF);
            ExecutorService pool = Executors.newFixedThreadPool(8);
            List<Future<StoredMessage>> fs = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                int n = i;
                fs.add(pool.submit(() -> n % 2 == 0
                        ? s.deliver(TestSupport.inbox(OLAF, message("d" + n, "x"), "key-" + n))
                        : append(s, "INBOX", "a" + n)));
                if (i == 100) fs.add(pool.submit(() -> { s.storeFlags(OLAF, "INBOX", UidSet.ALL, FlagOp.ADD, Set.of(Flags.SEEN)); return null; }));
            }
            List<Long> uids = new ArrayList<>();
            for (Future<StoredMessage> f : fs) { StoredMessage m = f.get(); if (m != null) uids.add(m.uid()); }
            pool.shutdown();
            Collections.sort(uids);
            assertThat(uids).hasSize(200).doesNotHaveDuplicates();
            assertThat(uids.get(0)).isEqualTo(1);
            assertThat(uids.get(199)).isEqualTo(200);
            assertThat(s.list(OLAF, "INBOX")).extracting(StoredMessage::uid).isSorted().hasSize(200);
            List<Long> modSeqs = s.list(OLAF, "INBOX").stream().map(StoredMessage::modSeq).toList();
            assertThat(modSeqs).doesNotHaveDuplicates();
        }
    }

    @Test
    void quotaRefusesWithAQuotaReason() throws Exception {
        var cfg = new TestSupport.MapConfig(Map.of("quota.bytes", "600"));
        try (LuceneMailboxStore s = new LuceneMailboxStore(dir, cfg, events)) {
            s.create(OLAF);
            s.deliver(TestSupport.inbox(OLAF, message("first", "x".repeat(300)), "k1"));
            assertThatThrownBy(() -> s.deliver(TestSupport.inbox(OLAF, message("second", "y".repeat(300)), "k2")))
                    .isInstanceOfSatisfying(MailboxException.class, e -> {
                        assertThat(e.isQuota()).isTrue();
                        assertThat(e.isTemporary()).isTrue();
                    });
            assertThat(s.quota(OLAF).orElseThrow().limitBytes()).isEqualTo(600);
            assertThatThrownBy(() -> s.copy(OLAF, "INBOX", UidSet.ALL, "Trash"))
                    .isInstanceOfSatisfying(MailboxException.class, e -> assertThat(e.isQuota()).isTrue());
            s.move(OLAF, "INBOX", UidSet.ALL, "Trash"); // moving does not use more
            s.storeFlags(OLAF, "Trash", UidSet.ALL, FlagOp.ADD, Set.of(Flags.DELETED));
            s.expunge(OLAF, "Trash", null);
            assertThat(s.quota(OLAF).orElseThrow().usedBytes()).isZero();
            s.deliver(TestSupport.inbox(OLAF, message("second", "y".repeat(300)), "k2"));
        }
    }

    @Test
    void garbageCollectionRemovesOnlyBlobsNoMessageRefersTo() throws Exception {
        try (LuceneMailboxStore s = open()) {
            s.create(OLAF);
            s.create("elsa@herald.test");
            byte[] shared = message("shared", "same bytes for two mailboxes");
            s.deliver(TestSupport.inbox(OLAF, shared, "s1"));
            s.deliver(TestSupport.inbox("elsa@herald.test", shared, "s2"));
            StoredMessage gone = append(s, "INBOX", "to be expunged");
            append(s, "INBOX", "kept");
            s.copy(OLAF, "INBOX", UidSet.of(gone.uid()), "Trash");
            s.storeFlags(OLAF, "INBOX", UidSet.of(gone.uid()), FlagOp.ADD, Set.of(Flags.DELETED));
            s.expunge(OLAF, "INBOX", null);
            assertThat(s.collectGarbage()).isZero(); // every blob still has a copy somewhere
            assertThat(blobCount()).isEqualTo(3);
            s.deleteFolder(OLAF, "Trash"); // the last copy of "to be expunged"
            assertThat(s.collectGarbage()).isEqualTo(1);
        }
        try (LuceneMailboxStore s = open()) {
            assertThat(read(s.content("elsa@herald.test", "INBOX", 1).orElseThrow())).isEqualTo(message("shared", "same bytes for two mailboxes"));
            assertThat(blobCount()).isEqualTo(2);
            assertThat(s.list(OLAF, "INBOX")).extracting(StoredMessage::subject).containsExactly("shared", "kept");
        }
    }

    long blobCount() throws Exception {
        try (Stream<Path> st = Files.walk(dir.resolve("blobs"))) {
            return st.filter(Files::isRegularFile).filter(p -> !p.getParent().getFileName().toString().equals("tmp")).count();
        }
    }
}
