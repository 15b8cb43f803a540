package io.herald.host;

import io.herald.api.mail.MessageContent;
import io.herald.api.mailbox.Delivery;
import io.herald.api.mailbox.MailboxException;
import io.herald.api.mailbox.MailboxStore;
import io.herald.api.mailbox.StoredMessage;

import io.herald.api.mailbox.FlagOp;
import io.herald.api.mailbox.FolderInfo;
import io.herald.api.mailbox.Quota;
import io.herald.api.mailbox.Reindexed;
import io.herald.api.mailbox.SearchCriteria;
import io.herald.api.mailbox.UidSet;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;

/**
 * The {@link MailboxStore} the core offers to plugins and to itself: it forwards every call to the store
 * that is active in the registry now, so that a store plugin can be replaced while others hold this one.
 */
public final class ActiveMailboxStore implements MailboxStore {

    private final ExtensionRegistry registry;

    public ActiveMailboxStore(ExtensionRegistry registry) {
        this.registry = registry;
    }

    private MailboxStore active() throws MailboxException {
        return registry.snapshot().mailboxStore()
                .orElseThrow(() -> new MailboxException("no mailbox store plugin is active", true));
    }

    public boolean isPresent() {
        return registry.snapshot().mailboxStore().isPresent();
    }

    /**
     * Whether the mailbox exists in the active store.
     *
     * @throws NoStoreException when no store plugin is active (yet): "no" would be a lie that turns into a permanent
     *         refusal ({@code 550 5.1.1}) of mail for an existing user while the store plugin is still starting; a
     *         router that calls this fails instead, and the SMTP core answers {@code 451 4.3.0} (try again later)
     */
    @Override
    public boolean exists(String mailbox) {
        return registry.snapshot().mailboxStore().orElseThrow(NoStoreException::new).exists(mailbox);
    }

    /**
     * As the active store says; true when none is active ({@link #exists} then throws {@link NoStoreException} at once).
     * Asked per call: the active store may be replaced while the server runs.
     */
    @Override
    public boolean existsWithoutBlocking() {
        return registry.snapshot().mailboxStore().map(MailboxStore::existsWithoutBlocking).orElse(true);
    }

    /** No mailbox store plugin is active now: a temporary condition (the store plugin is starting, or being updated). */
    public static final class NoStoreException extends IllegalStateException {
        public NoStoreException() {
            super("no mailbox store plugin is active");
        }
    }

    @Override
    public void create(String mailbox) throws MailboxException {
        active().create(mailbox);
    }

    @Override
    public List<String> mailboxes() {
        return registry.snapshot().mailboxStore().map(MailboxStore::mailboxes).orElse(List.of());
    }

    @Override
    public List<String> folders(String mailbox) throws MailboxException {
        return active().folders(mailbox);
    }

    @Override
    public StoredMessage deliver(io.herald.api.mailbox.Delivery delivery) throws MailboxException {
        return active().deliver(delivery);
    }

    @Override
    public List<StoredMessage> list(String mailbox, String folder) throws MailboxException {
        return active().list(mailbox, folder);
    }

    @Override
    public Optional<MessageContent> content(String mailbox, String folder, long uid) throws MailboxException {
        return active().content(mailbox, folder, uid);
    }

    @Override
    public List<FolderInfo> folderInfos(String mailbox) throws MailboxException {
        return active().folderInfos(mailbox);
    }

    @Override
    public FolderInfo folderInfo(String mailbox, String folder) throws MailboxException {
        return active().folderInfo(mailbox, folder);
    }

    @Override
    public FolderInfo createFolder(String mailbox, String folder) throws MailboxException {
        return active().createFolder(mailbox, folder);
    }

    @Override
    public void deleteFolder(String mailbox, String folder) throws MailboxException {
        active().deleteFolder(mailbox, folder);
    }

    @Override
    public void renameFolder(String mailbox, String from, String to) throws MailboxException {
        active().renameFolder(mailbox, from, to);
    }

    @Override
    public void subscribe(String mailbox, String folder, boolean subscribed) throws MailboxException {
        active().subscribe(mailbox, folder, subscribed);
    }

    @Override
    public List<String> subscriptions(String mailbox) throws MailboxException {
        return active().subscriptions(mailbox);
    }

    @Override
    public StoredMessage append(String mailbox, String folder, MessageContent content, Set<String> flags, Instant internalDate)
            throws MailboxException {
        return active().append(mailbox, folder, content, flags, internalDate);
    }

    @Override
    public List<StoredMessage> list(String mailbox, String folder, UidSet uids) throws MailboxException {
        return active().list(mailbox, folder, uids);
    }

    @Override
    public List<StoredMessage> changedSince(String mailbox, String folder, long modSeq) throws MailboxException {
        return active().changedSince(mailbox, folder, modSeq);
    }

    @Override
    public SortedMap<Long, Long> copy(String mailbox, String folder, UidSet uids, String toFolder) throws MailboxException {
        return active().copy(mailbox, folder, uids, toFolder);
    }

    @Override
    public SortedMap<Long, Long> move(String mailbox, String folder, UidSet uids, String toFolder) throws MailboxException {
        return active().move(mailbox, folder, uids, toFolder);
    }

    @Override
    public List<StoredMessage> storeFlags(String mailbox, String folder, UidSet uids, FlagOp op, Set<String> flags)
            throws MailboxException {
        return active().storeFlags(mailbox, folder, uids, op, flags);
    }

    @Override
    public List<Long> expunge(String mailbox, String folder, UidSet uids) throws MailboxException {
        return active().expunge(mailbox, folder, uids);
    }

    @Override
    public List<Long> search(String mailbox, String folder, SearchCriteria criteria) throws MailboxException {
        return active().search(mailbox, folder, criteria);
    }

    @Override
    public Optional<Quota> quota(String mailbox) throws MailboxException {
        return active().quota(mailbox);
    }

    @Override
    public Reindexed reindex() throws MailboxException {
        return active().reindex();
    }

    /** The active store's own description, for messages to the operator. */
    @Override
    public String toString() {
        return registry.snapshot().mailboxStore().map(Object::toString).orElse("no mailbox store");
    }
}
