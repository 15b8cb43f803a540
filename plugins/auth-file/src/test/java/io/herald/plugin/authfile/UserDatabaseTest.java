package io.herald.plugin.authfile;

import com.google.inject.Guice;
import com.google.inject.Injector;
import com.google.inject.Key;
import com.google.inject.TypeLiteral;
import io.herald.api.auth.AuthContext;
import io.herald.api.auth.AuthResult;
import io.herald.api.auth.Authenticator;
import io.herald.api.config.Configuration;
import io.herald.api.config.ServerIdentity;
import io.herald.api.mailbox.Folders;
import io.herald.api.mailbox.MailboxStore;
import io.herald.api.mail.Envelope;
import io.herald.api.mail.MailAddress;
import io.herald.api.plugin.PluginContext;
import io.herald.api.routing.Route;
import io.herald.api.routing.Router;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class UserDatabaseTest {

    @TempDir Path dir;
    final MovableClock clock = new MovableClock();
    static final AuthContext CTX = new AuthContext("PLAIN", "submission", null, true);

    static final class MovableClock extends Clock {
        volatile Instant now = Instant.parse("2026-12-01T10:00:00Z");
        @Override public ZoneId getZone() { return ZoneOffset.UTC; }
        @Override public Clock withZone(ZoneId z) { return this; }
        @Override public Instant instant() { return now; }
    }

    record MapConfig(String pid, Map<String, String> values) implements Configuration {
        @Override public Optional<String> get(String key) { return Optional.ofNullable(values.get(key)); }
        @Override public Set<String> keys() { return values.keySet(); }
    }

    static final ServerIdentity LOCAL = new ServerIdentity() {
        @Override public String hostname() { return "mx.herald.test"; }
        @Override public Set<String> localDomains() { return Set.of("herald.test"); }
    };
    final SmallStore store = new SmallStore();

    UserDatabase db() {
        return new UserDatabase(dir.resolve("users"), 4096, clock);
    }

    Mailboxes mailboxes(UserDatabase db) {
        return new Mailboxes(db, store, LOCAL);
    }

    @Test
    void theFileNeverHoldsThePassword() throws Exception {
        UserDatabase db = db();
        db.add("Elsa@Herald.test", "correct horse battery staple".toCharArray());
        byte[] bytes = Files.readAllBytes(db.file());
        String text = new String(bytes, StandardCharsets.UTF_8);
        assertThat(text).doesNotContain("correct horse battery staple").doesNotContain("correct")
                .contains("elsa@herald.test scram-sha-256:4096:");
        assertThat(db.canonicalAddress(" Elsa@Herald.test")).as("what 'herald user add' prints").isEqualTo("elsa@herald.test");
        assertThat(db.list()).containsExactly(db.canonicalAddress("Elsa@Herald.test"));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(db.file()))).isEqualTo("rw-------");
    }

    @Test
    void aPasswordShorterThanTheMinimumIsRefusedAndNothingIsWritten() throws Exception {
        // 'herald user add' accepted a one-character password
        UserDatabase db = db();
        assertThatThrownBy(() -> db.add("elsa@herald.test", "x".toCharArray())).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("password too short: 1 character, at least 8 are needed (auth-file.cfg password.minLength)");
        assertThatThrownBy(() -> db.add("elsa@herald.test", "1234567".toCharArray()))
                .hasMessage("password too short: 7 characters, at least 8 are needed (auth-file.cfg password.minLength)");
        assertThat(db.file()).doesNotExist();
        db.add("elsa@herald.test", "12345678".toCharArray());
        assertThatThrownBy(() -> db.passwd("elsa@herald.test", "short".toCharArray())).hasMessageContaining("at least 8");
        assertThat(new FileAuthenticator(db, mailboxes(db)).verifyPassword("elsa@herald.test", "12345678".toCharArray(), CTX))
                .as("the old password stays").isInstanceOf(AuthResult.Authenticated.class);
        // characters are code points: four ghosts (U+1F47B, outside the BMP) are 4, not 8 UTF-16 units
        assertThatThrownBy(() -> db.add("olaf@herald.test", "\uD83D\uDC7B\uD83D\uDC7B\uD83D\uDC7B\uD83D\uDC7B".toCharArray()))
                .hasMessageStartingWith("password too short: 4 characters");

        UserDatabase strict = UserDatabase.fromConfig(new MapConfig("auth-file", Map.of("password.minLength", "12")), dir.resolve("strict"), clock);
        assertThatThrownBy(() -> strict.add("elsa@herald.test", "12345678901".toCharArray())).hasMessageContaining("at least 12");
        strict.add("elsa@herald.test", "123456789012".toCharArray());
        UserDatabase lax = UserDatabase.fromConfig(new MapConfig("auth-file", Map.of("password.minLength", "1")), dir.resolve("lax"), clock);
        lax.add("elsa@herald.test", "x".toCharArray());
        assertThatThrownBy(() -> UserDatabase.fromConfig(new MapConfig("auth-file", Map.of("password.minLength", "0")), dir, clock))
                .hasMessageContaining("password.minLength");
    }

    @Test
    void addressesNoRcptToCouldNameAreRefusedForUsersAndAliases() throws Exception {
        UserDatabase db = db();
        // 'herald user add a@b@c' used to add a user "a@b@c": the local part "a@b" names no mailbox over SMTP
        for (String bad : List.of("a@b@c", "\"x y\"@herald.test", "x..y@herald.test", ".x@herald.test",
                "x@herald..test", "x@-herald.test", "x@herald.test.", "x@[127.0.0.1]")) {
            assertThatThrownBy(() -> db.add(bad, "Long-enough-pw".toCharArray())).as(bad)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("not a mail address: '" + bad.toLowerCase(java.util.Locale.ROOT) + "'")
                    .hasMessageContaining("second @");
            assertThatThrownBy(() -> db.addAlias(bad, "elsa@herald.test")).as(bad).hasMessageContaining("not a mail address");
            assertThatThrownBy(() -> db.addAlias("info@herald.test", bad)).as(bad).hasMessageContaining("not a mail address");
        }
        assertThat(db.list()).isEmpty();
        assertThat(db.aliases()).isEmpty();
        for (String good : List.of("o'brien+tag@herald.test", "x.y@sub-1.herald.test", "jörg@bücher.example", "postmaster@localhost"))
            db.add(good, "Long-enough-pw".toCharArray());
        assertThat(db.list()).hasSize(4);
    }

    @Test
    void verifiesRightAndWrongPasswordsAndOffersScram() throws Exception {
        UserDatabase db = db();
        db.add("elsa@herald.test", "let it go".toCharArray());
        FileAuthenticator auth = new FileAuthenticator(db, mailboxes(db));
        assertThat(auth.verifyPassword("ELSA@herald.test", "let it go".toCharArray(), CTX)).isEqualTo(AuthResult.authenticated("elsa@herald.test"));
        assertThat(auth.verifyPassword("elsa@herald.test", "let it snow".toCharArray(), CTX)).isInstanceOf(AuthResult.Failed.class);
        assertThat(auth.verifyPassword("olaf@herald.test", "x".toCharArray(), CTX)).isInstanceOf(AuthResult.UnknownUser.class);
        assertThat(auth.scramCredential("elsa@herald.test", CTX)).get().satisfies(c -> assertThat(c.iterations()).isEqualTo(4096));
        db.passwd("elsa@herald.test", "a new one".toCharArray());
        assertThat(auth.verifyPassword("elsa@herald.test", "a new one".toCharArray(), CTX)).isInstanceOf(AuthResult.Authenticated.class);
        assertThat(auth.verifyPassword("elsa@herald.test", "let it go".toCharArray(), CTX)).isInstanceOf(AuthResult.Failed.class);
        assertThatThrownBy(() -> db.add("elsa@herald.test", "Long-enough-pw".toCharArray())).hasMessageContaining("exists");
        assertThatThrownBy(() -> db.passwd("nobody@herald.test", "Long-enough-pw".toCharArray())).hasMessageContaining("no user");
        assertThatThrownBy(() -> db.add("not an address", "Long-enough-pw".toCharArray())).hasMessageContaining("not a mail address");
        assertThat(db.remove("elsa@herald.test")).isTrue();
        assertThat(db.list()).isEmpty();
    }

    @Test
    void defaultIterationsAreStrongAndConfigurable() {
        MapConfig none = new MapConfig("auth-file", Map.of());
        assertThat(UserDatabase.fromConfig(none, dir, clock).file()).isEqualTo(dir.resolve("users").toAbsolutePath());
        assertThatThrownBy(() -> UserDatabase.fromConfig(new MapConfig("auth-file", Map.of("iterations", "1000")), dir, clock))
                .hasMessageContaining("auth-file.cfg").hasMessageContaining("iterations");
    }

    @Test
    void aliasesRouteToTheirMailboxAndMayBeSentAs() throws Exception {
        UserDatabase db = db();
        db.add("elsa@herald.test", "let it go".toCharArray());
        db.addAlias("postmaster@herald.test", "elsa@herald.test");
        db.addAlias("queen@herald.test", "postmaster@herald.test");
        AliasRouter router = new AliasRouter(db, mailboxes(db));
        assertThat(router.priority()).isLessThan(10);
        Envelope env = new Envelope(Optional.empty(), List.of(), Map.of());
        assertThat(router.route(env, new MailAddress("PostMaster", "herald.test"))).isEqualTo(Route.local("elsa@herald.test"));
        assertThat(router.route(env, new MailAddress("queen", "herald.test"))).isEqualTo(Route.local("elsa@herald.test"));
        assertThat(router.route(env, new MailAddress("elsa", "herald.test"))).isEqualTo(Route.pass());
        assertThat(new FileAuthenticator(db, mailboxes(db)).addressesOf("elsa@herald.test")).containsExactly("postmaster@herald.test", "queen@herald.test");
        assertThat(Files.readString(db.file())).contains("alias postmaster@herald.test -> elsa@herald.test");
    }

    @Test
    void theFileIsReadAgainWhenItChanges() throws Exception {
        UserDatabase server = db();
        UserDatabase cli = db(); // another writer, e.g. 'bin/herald user add' while the server runs
        assertThat(server.user("olaf@herald.test")).isEmpty();
        cli.add("olaf@herald.test", "warm hugs".toCharArray());
        assertThat(server.user("olaf@herald.test")).isEmpty(); // checked at most once a second
        clock.now = clock.now.plus(Duration.ofSeconds(1));
        assertThat(server.user("olaf@herald.test")).isPresent();
        // an edit by hand (lines appended) is seen too
        Files.writeString(server.file(), "alias snowman@herald.test -> olaf@herald.test\n", java.nio.file.StandardOpenOption.APPEND);
        clock.now = clock.now.plus(Duration.ofSeconds(1));
        assertThat(server.resolveAlias("snowman@herald.test")).contains("olaf@herald.test");
    }

    @Test
    void concurrentWritersDoNotCorruptTheFile() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            int thread = t;
            UserDatabase own = db();
            done.add(pool.submit(() -> {
                for (int i = 0; i < 10; i++) {
                    own.add("u" + thread + "-" + i + "@herald.test", ("password" + i).toCharArray());
                    own.addAlias("a" + thread + "-" + i + "@herald.test", "u" + thread + "-" + i + "@herald.test");
                }
                return null;
            }));
        }
        for (Future<?> f : done) f.get();
        pool.shutdown();
        UserDatabase check = db();
        assertThat(check.list()).hasSize(40);
        assertThat(check.aliases()).hasSize(40);
        assertThat(new FileAuthenticator(check, mailboxes(check)).verifyPassword("u3-7@herald.test", "password7".toCharArray(), CTX)).isInstanceOf(AuthResult.Authenticated.class);
        assertThat(Files.readAllLines(check.file())).filteredOn(l -> !l.startsWith("#")).hasSize(80);
    }

    @Test
    void thePluginContributesTheAuthenticatorAndTheRouter() throws Exception {
        MapConfig config = new MapConfig("auth-file", Map.of("iterations", "4096"));
        Injector injector = Guice.createInjector(binder -> {
            binder.bind(PluginContext.class).toInstance(new PluginContext("auth-file", config, dir, false));
            binder.bind(Configuration.class).toInstance(config);
            binder.bind(Clock.class).toInstance(clock);
            binder.bind(MailboxStore.class).toInstance(store);
            binder.bind(ServerIdentity.class).toInstance(LOCAL);
        }, new AuthFilePlugin());
        assertThat(new AuthFilePlugin().configPid()).isEqualTo("auth-file");
        Set<Authenticator> auths = injector.getInstance(Key.get(new TypeLiteral<Set<Authenticator>>() { }));
        Set<Router> routers = injector.getInstance(Key.get(new TypeLiteral<Set<Router>>() { }));
        assertThat(auths).hasSize(1);
        assertThat(routers).singleElement().isInstanceOf(AliasRouter.class);
        injector.getInstance(UserDatabase.class).add("elsa@herald.test", "Long-enough-pw".toCharArray());
        assertThat(auths.iterator().next().verifyPassword("elsa@herald.test", "Long-enough-pw".toCharArray(), CTX)).isInstanceOf(AuthResult.Authenticated.class);
        assertThat(dir.resolve("users")).exists();
    }

    @Test
    void aUserAddedWhileTheServerRunsGetsAMailboxAtItsFirstDeliveryOrLogin() throws Exception {
        UserDatabase server = db();
        UserDatabase cli = db(); // 'bin/herald user add' in another process
        AliasRouter router = new AliasRouter(server, mailboxes(server));
        FileAuthenticator auth = new FileAuthenticator(server, mailboxes(server));
        Envelope env = new Envelope(Optional.empty(), List.of(), Map.of());
        cli.add("anna@herald.test", "Anna-pass-123456".toCharArray());
        cli.add("bert@herald.test", "Bert-pass-123456".toCharArray());
        clock.now = clock.now.plus(Duration.ofSeconds(1));

        // RCPT TO:<anna@...>: the alias router creates the mailbox, route-local (next) finds it
        assertThat(router.route(env, new MailAddress("Anna", "herald.test"))).isEqualTo(Route.pass());
        assertThat(store.exists("anna@herald.test")).isTrue();
        assertThat(store.folders("anna@herald.test")).containsExactlyElementsOf(Folders.DEFAULTS);
        // again (delivery time): nothing more is created
        router.route(env, new MailAddress("anna", "herald.test"));
        assertThat(store.creates).isEqualTo(1);

        // a login (IMAP LOGIN, POP3 PASS, SMTP AUTH PLAIN) creates it too; a wrong password does not
        assertThat(auth.verifyPassword("bert@herald.test", "wrong-password".toCharArray(), CTX)).isInstanceOf(AuthResult.Failed.class);
        assertThat(store.exists("bert@herald.test")).isFalse();
        assertThat(auth.verifyPassword("BERT@herald.test", "Bert-pass-123456".toCharArray(), CTX))
                .isEqualTo(AuthResult.authenticated("bert@herald.test"));
        assertThat(store.exists("bert@herald.test")).isTrue();

        // someone unknown gets nothing
        assertThat(router.route(env, new MailAddress("carl", "herald.test"))).isEqualTo(Route.pass());
        assertThat(auth.verifyPassword("carl@herald.test", "x".toCharArray(), CTX)).isInstanceOf(AuthResult.UnknownUser.class);
        assertThat(store.mailboxes()).containsExactly("anna@herald.test", "bert@herald.test");
    }

    @Test
    void scramLoginsCreateTheMailboxToo() throws Exception {
        UserDatabase db = db();
        db.add("dora@herald.test", "Dora-pass-123456".toCharArray());
        assertThat(new FileAuthenticator(db, mailboxes(db)).scramCredential("dora@herald.test", CTX)).isPresent();
        assertThat(store.exists("dora@herald.test")).isTrue();
    }

    @Test
    void aUserOutsideTheLocalDomainsGetsNoMailbox() throws Exception {
        UserDatabase db = db();
        db.add("x@nowhere.example", "X-pass-123456789".toCharArray());
        Envelope env = new Envelope(Optional.empty(), List.of(), Map.of());
        assertThat(new AliasRouter(db, mailboxes(db)).route(env, new MailAddress("x", "nowhere.example"))).isEqualTo(Route.pass());
        assertThat(new FileAuthenticator(db, mailboxes(db)).verifyPassword("x@nowhere.example", "X-pass-123456789".toCharArray(), CTX))
                .isInstanceOf(AuthResult.Authenticated.class);
        assertThat(store.mailboxes()).isEmpty();
    }

    @Test
    void anAliasWhoseTargetCannotReceiveIsRefusedAtRcpt() throws Exception {
        UserDatabase db = db();
        db.add("anna@herald.test", "Anna-pass-123456".toCharArray());
        db.addAlias("info@herald.test", "anna@herald.test");        // a user without a mailbox yet: created
        db.addAlias("ghost@herald.test", "nobody@herald.test");     // neither a user nor a mailbox
        db.addAlias("away@herald.test", "anna@elsewhere.example");  // not a mailbox here
        db.addAlias("pm@herald.test", "postmaster@herald.test");
        store.create("postmaster@herald.test");                     // a mailbox without a user (the postmaster's)
        AliasRouter router = new AliasRouter(db, mailboxes(db));
        Envelope env = new Envelope(Optional.empty(), List.of(), Map.of());

        assertThat(router.route(env, new MailAddress("info", "herald.test"))).isEqualTo(Route.local("anna@herald.test"));
        assertThat(store.exists("anna@herald.test")).isTrue();
        assertThat(router.route(env, new MailAddress("pm", "herald.test"))).isEqualTo(Route.local("postmaster@herald.test"));
        Route.Refuse refused = new Route.Refuse(550, "5.1.1", "<ghost@herald.test>: no such user here");
        assertThat(router.route(env, new MailAddress("ghost", "herald.test"))).isEqualTo(refused);
        assertThat(router.route(env, new MailAddress("away", "herald.test")))
                .isEqualTo(new Route.Refuse(550, "5.1.1", "<away@herald.test>: no such user here"));
        assertThat(store.mailboxes()).containsExactly("anna@herald.test", "postmaster@herald.test");
    }

    @Test
    void theRouterAnswersWithoutBlockingUnlessAMailboxMustBeCreatedOrTheStoreCannotSay() throws Exception {
        UserDatabase db = db();
        db.add("anna@herald.test", "Anna-pass-123456".toCharArray());
        db.add("bert@herald.test", "Bert-pass-123456".toCharArray());
        db.addAlias("info@herald.test", "bert@herald.test");
        db.addAlias("ghost@herald.test", "nobody@herald.test");
        store.create("anna@herald.test");
        AliasRouter router = new AliasRouter(db, mailboxes(db));
        Envelope env = new Envelope(Optional.empty(), List.of(), Map.of());

        // answered on the calling thread, as route() answers: a user with a mailbox, someone unknown, a dead alias
        assertThat(router.routeWithoutBlocking(env, new MailAddress("Anna", "herald.test"))).contains(Route.pass());
        assertThat(router.routeWithoutBlocking(env, new MailAddress("carl", "herald.test"))).contains(Route.pass());
        assertThat(router.routeWithoutBlocking(env, new MailAddress("x", "elsewhere.example"))).contains(Route.pass());
        assertThat(router.routeWithoutBlocking(env, new MailAddress("ghost", "herald.test")))
                .contains(new Route.Refuse(550, "5.1.1", "<ghost@herald.test>: no such user here"));
        // bert has no mailbox yet: creating it may block, so neither bert nor the alias leading to him is answered
        // here, and nothing is created
        assertThat(router.routeWithoutBlocking(env, new MailAddress("bert", "herald.test"))).isEmpty();
        assertThat(router.routeWithoutBlocking(env, new MailAddress("info", "herald.test"))).isEmpty();
        assertThat(store.exists("bert@herald.test")).isFalse();
        // route() (on the hook executor) creates it; from then on the fast path answers
        assertThat(router.route(env, new MailAddress("info", "herald.test"))).isEqualTo(Route.local("bert@herald.test"));
        assertThat(router.routeWithoutBlocking(env, new MailAddress("info", "herald.test"))).contains(Route.local("bert@herald.test"));
        assertThat(router.routeWithoutBlocking(env, new MailAddress("bert", "herald.test"))).contains(Route.pass());
        // a store that cannot answer from memory: never on the calling thread
        store.answersFromMemory = false;
        assertThat(router.routeWithoutBlocking(env, new MailAddress("anna", "herald.test"))).isEmpty();
        assertThat(router.routeWithoutBlocking(env, new MailAddress("carl", "herald.test"))).isEmpty();
        assertThat(store.creates).isEqualTo(2);
    }

    /**
     * 'herald user remove' (another process, beside the running server) stops the user's mail: RCPT is refused as for
     * an unknown user (550 5.1.1), directly and through an alias, while the mailbox and its mail stay in the store;
     * 'herald user add' of the same address makes it a user again, with the kept mailbox.
     */
    @Test
    void aRemovedUserIsRefusedAtRcptAndItsMailboxIsKept() throws Exception {
        UserDatabase server = db();
        UserDatabase cli = db();
        AliasRouter router = new AliasRouter(server, mailboxes(server));
        Envelope env = new Envelope(Optional.empty(), List.of(), Map.of());
        cli.add("anna@herald.test", "Anna-pass-123456".toCharArray());
        cli.addAlias("info@herald.test", "anna@herald.test");
        clock.now = clock.now.plus(Duration.ofSeconds(1));
        assertThat(router.route(env, new MailAddress("anna", "herald.test"))).isEqualTo(Route.pass());
        assertThat(store.exists("anna@herald.test")).isTrue();

        assertThat(cli.remove("Anna@herald.test")).isTrue();
        assertThat(Files.readString(dir.resolve("users"))).contains("\nremoved anna@herald.test\n");
        assertThat(cli.list()).isEmpty();
        clock.now = clock.now.plus(Duration.ofSeconds(1));
        Route.Refuse refused = new Route.Refuse(550, "5.1.1", "<anna@herald.test>: no such user here");
        assertThat(router.route(env, new MailAddress("Anna", "herald.test")))
                .isEqualTo(new Route.Refuse(550, "5.1.1", "<Anna@herald.test>: no such user here"));
        assertThat(router.routeWithoutBlocking(env, new MailAddress("anna", "herald.test"))).contains(refused);
        assertThat(router.route(env, new MailAddress("info", "herald.test")))
                .isEqualTo(new Route.Refuse(550, "5.1.1", "<info@herald.test>: no such user here"));
        assertThat(store.exists("anna@herald.test")).as("the mailbox is kept").isTrue();
        // the postmaster is never refused (RFC 5321 §4.5.1), even when it was once a user of the file
        cli.add("postmaster@herald.test", "Pm-pass-1234567".toCharArray());
        cli.remove("postmaster@herald.test");
        clock.now = clock.now.plus(Duration.ofSeconds(1));
        assertThat(router.route(env, new MailAddress("postmaster", "herald.test"))).isEqualTo(Route.pass());
        // a second remove finds no user; the address stays refused
        assertThat(cli.remove("anna@herald.test")).isFalse();
        assertThat(server.wasRemoved("anna@herald.test")).isTrue();

        cli.add("anna@herald.test", "Anna-pass-654321".toCharArray());
        clock.now = clock.now.plus(Duration.ofSeconds(1));
        assertThat(Files.readString(dir.resolve("users"))).doesNotContain("removed anna@herald.test");
        assertThat(router.route(env, new MailAddress("anna", "herald.test"))).isEqualTo(Route.pass());
        assertThat(router.route(env, new MailAddress("info", "herald.test"))).isEqualTo(Route.local("anna@herald.test"));
        assertThat(store.creates).as("the kept mailbox is used again, not created").isEqualTo(1);
    }

    /** A user line and a removed line for one address (a file edited by hand): the address is a user. */
    @Test
    void aUserLineWinsOverARemovedLine() throws Exception {
        UserDatabase db = db();
        db.add("anna@herald.test", "Anna-pass-123456".toCharArray());
        Files.writeString(dir.resolve("users"), Files.readString(dir.resolve("users")) + "removed anna@herald.test\nremoved bert@herald.test\n");
        clock.now = clock.now.plus(Duration.ofSeconds(1));
        UserDatabase server = db();
        assertThat(server.wasRemoved("anna@herald.test")).isFalse();
        assertThat(server.wasRemoved("BERT@herald.test")).isTrue();
        assertThat(server.list()).containsExactly("anna@herald.test");
    }
}
