package io.herald.api.mailbox;

import io.herald.api.mail.MessageContent;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;

/**
 * Stores and indexes the messages of local mailboxes. One store is active at a time.
 *
 * <p>Contract: {@link #deliver} returns only when the message is on stable storage; it is idempotent per
 * {@link Delivery#deliveryKey()} (a re-delivery after a crash returns the message stored the first time).
 * Every change is published as a {@link MailboxEvent} through the {@link MailboxEventPublisher} the core
 * offers. Methods may be called from many threads at once. Bound with {@code mailboxStore().to(MyStore.class)},
 * as a singleton; when several plugins contribute a store, the first registered is active.
 *
 * <p><b>Failure policy.</b> A {@link MailboxException} that is {@linkplain MailboxException#isTemporary() temporary}
 * (or any other exception) defers the delivery, which the queue retries with back-off; a permanent one fails the
 * recipient for good. While no store is active, local recipients are deferred ({@code 451}), never refused.
 * There is no time limit on store calls: they must be durable, not quick; keep them bounded by your own I/O
 * timeouts. A store is {@link AutoCloseable} if it holds files or threads: it is closed when the plugin stops.
 *
 * <p>API 1.1 adds what an IMAP server (RFC 3501/9051, RFC 6154 special use, RFC 7162 CONDSTORE, RFC 6851 MOVE,
 * RFC 4315 UIDPLUS) needs. Every change is durable when the method returns. Folder names use
 * {@link Folders#SEPARATOR}; {@code INBOX} is case-insensitive. The added methods have defaults that throw
 * {@link UnsupportedOperationException}, for stores written against 1.0.
 *
 * <p>API 1.2 adds {@link #reindex()}; 1.3 {@link #existsWithoutBlocking()}.
 */
@org.osgi.annotation.versioning.ConsumerType
public interface MailboxStore {

    /** True when a mailbox exists for this canonical address. */
    boolean exists(String mailbox);

    /**
     * True when {@link #exists} answers from memory and never blocks (no I/O, no lock held across I/O), so that a
     * router may call it on a network thread ({@link io.herald.api.routing.Router#routeWithoutBlocking}). The default,
     * false, is right for a store that asks a database or the file system.
     *
     * @since 1.3
     */
    default boolean existsWithoutBlocking() { return false; }

    /** Creates a mailbox with the {@link Folders#DEFAULTS default folders}; does nothing when it exists. */
    void create(String mailbox) throws MailboxException;

    /** The canonical addresses of all mailboxes, sorted. */
    List<String> mailboxes();

    /** The folders of a mailbox, sorted with INBOX first. */
    List<String> folders(String mailbox) throws MailboxException;

    /** Stores one message durably; see the class comment for idempotence. */
    StoredMessage deliver(Delivery delivery) throws MailboxException;

    /** The messages of a folder in UID order. */
    List<StoredMessage> list(String mailbox, String folder) throws MailboxException;

    /** The stored bytes of one message, exactly as delivered. */
    Optional<MessageContent> content(String mailbox, String folder, long uid) throws MailboxException;

    // ------------------------------------------------------------------ API 1.1: folders

    /** LIST / STATUS for every folder, sorted with INBOX first. */
    default List<FolderInfo> folderInfos(String mailbox) throws MailboxException {
        throw new UnsupportedOperationException("folderInfos");
    }

    /** STATUS / SELECT of one folder. */
    default FolderInfo folderInfo(String mailbox, String folder) throws MailboxException {
        throw new UnsupportedOperationException("folderInfo");
    }

    /** CREATE: a new empty folder with a new UIDVALIDITY. {@link MailboxException.Reason#ALREADY_EXISTS} when it exists. */
    default FolderInfo createFolder(String mailbox, String folder) throws MailboxException {
        throw new UnsupportedOperationException("createFolder");
    }

    /** DELETE: the folder and its messages; its sub-folders stay. INBOX cannot be deleted. */
    default void deleteFolder(String mailbox, String folder) throws MailboxException {
        throw new UnsupportedOperationException("deleteFolder");
    }

    /**
     * RENAME: the folder and its sub-folders get the new name and keep their messages, UIDs and UIDVALIDITY.
     * Renaming INBOX moves its messages to the new folder and leaves INBOX empty (RFC 3501 §6.3.5).
     */
    default void renameFolder(String mailbox, String from, String to) throws MailboxException {
        throw new UnsupportedOperationException("renameFolder");
    }

    /** SUBSCRIBE / UNSUBSCRIBE; a name may be subscribed whether or not the folder exists. */
    default void subscribe(String mailbox, String folder, boolean subscribed) throws MailboxException {
        throw new UnsupportedOperationException("subscribe");
    }

    /** The subscribed names, sorted. */
    default List<String> subscriptions(String mailbox) throws MailboxException {
        throw new UnsupportedOperationException("subscriptions");
    }

    // ------------------------------------------------------------------ API 1.1: messages

    /** APPEND: stores a message with flags and internal date; the result carries APPENDUID's UIDVALIDITY and UID. */
    default StoredMessage append(String mailbox, String folder, MessageContent content, Set<String> flags,
                                 Instant internalDate) throws MailboxException {
        throw new UnsupportedOperationException("append");
    }

    /** The messages of a folder whose UIDs are in the set, in UID order. */
    default List<StoredMessage> list(String mailbox, String folder, UidSet uids) throws MailboxException {
        throw new UnsupportedOperationException("list");
    }

    /** FETCH (CHANGEDSINCE n): the messages whose mod-sequence is greater than n, in UID order. */
    default List<StoredMessage> changedSince(String mailbox, String folder, long modSeq) throws MailboxException {
        throw new UnsupportedOperationException("changedSince");
    }

    /**
     * COPY: copies the messages (same bytes, flags and internal date) to another folder, where they get new UIDs.
     * Returns source UID to new UID in ascending source order (COPYUID). UIDs that do not exist are skipped.
     */
    default SortedMap<Long, Long> copy(String mailbox, String folder, UidSet uids, String toFolder) throws MailboxException {
        throw new UnsupportedOperationException("copy");
    }

    /** MOVE: as {@link #copy}, and the messages leave the source folder (expunged there) in the same durable step. */
    default SortedMap<Long, Long> move(String mailbox, String folder, UidSet uids, String toFolder) throws MailboxException {
        throw new UnsupportedOperationException("move");
    }

    /**
     * STORE: changes the flags of the messages in the set; {@link Flags#RECENT} is ignored. Returns the messages whose
     * flags changed, with their new flags and mod-sequence.
     */
    default List<StoredMessage> storeFlags(String mailbox, String folder, UidSet uids, FlagOp op, Set<String> flags)
            throws MailboxException {
        throw new UnsupportedOperationException("storeFlags");
    }

    /**
     * EXPUNGE (uids null) or UID EXPUNGE (RFC 4315): removes the messages flagged {@code \Deleted} (and in the set).
     * Returns the expunged UIDs, ascending.
     */
    default List<Long> expunge(String mailbox, String folder, UidSet uids) throws MailboxException {
        throw new UnsupportedOperationException("expunge");
    }

    /** SEARCH / UID SEARCH in one folder: the matching UIDs, ascending. */
    default List<Long> search(String mailbox, String folder, SearchCriteria criteria) throws MailboxException {
        throw new UnsupportedOperationException("search");
    }

    /** GETQUOTAROOT / GETQUOTA: usage and limits, or empty when the store keeps no quota. */
    default Optional<Quota> quota(String mailbox) throws MailboxException {
        return Optional.empty();
    }

    // ------------------------------------------------------------------ API 1.2: maintenance

    /**
     * Throws the search index away and rebuilds it from the stored messages ({@code bin/herald mailbox reindex}).
     * Returns when the new index is durable.
     *
     * <p>A store opened read-only (beside a running server) still takes the store for writing for the duration of
     * the rebuild: this is the one change it makes, because the operator asked for it. When another process holds
     * the store for writing (a running server), it fails with {@link StoreInUseException} and changes nothing; it never takes the store away from its writer. Other calls may continue meanwhile on a writing store.
     *
     * @throws StoreInUseException as above
     * @throws MailboxException {@link MailboxException.Reason#STORAGE} when reading the messages or writing the index
     *         fails
     * @throws UnsupportedOperationException for a store without a rebuildable index
     */
    default Reindexed reindex() throws MailboxException {
        throw new UnsupportedOperationException("reindex");
    }
}
