package io.herald.plugin.spambayes;

import com.google.inject.AbstractModule;
import com.google.inject.Guice;
import com.google.inject.Injector;
import com.google.inject.Key;
import com.google.inject.TypeLiteral;
import io.herald.api.config.Configuration;
import io.herald.api.mail.Envelope;
import io.herald.api.mail.MessageContent;
import io.herald.api.plugin.PluginContext;
import io.herald.api.smtp.SessionInfo;
import io.herald.api.spam.SpamCheck;
import io.herald.api.spam.SpamFilter;
import io.herald.api.spam.SpamLearner;
import io.herald.api.spam.SpamVerdict;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** Always run, fast: the whole pipeline on a small seeded subset of the corpus, and the tokenizer's decoding. */
class BayesPipelineTest {

    @TempDir Path dir;

    @Test
    void learnsFromASmallSubsetAndSeparatesTheRest() throws Exception {
        // 60 messages per folder: 42 to learn, 18 to score (the same seeded split as the evaluation, smaller)
        List<BayesEvaluation.Parts> parts = BayesEvaluation.split(TestCorpus.root(), 0.7, 60);
        Path db = dir.resolve("tokens.db");
        BayesFilter filter = new BayesFilter(new TokenStore(), MapConfig.of(Map.of("min.spam", "10", "min.ham", "10")), db, false);
        for (BayesEvaluation.Parts p : parts) new Trainer(filter).learnAll(p.train(), p.spam());
        filter.flush();

        BayesFilter reloaded = new BayesFilter(TokenStore.load(db), MapConfig.of(Map.of("min.spam", "10", "min.ham", "10")), db, true);
        assertThat(reloaded.store().totals()).isEqualTo(filter.store().totals());

        int right = 0, all = 0;
        for (BayesEvaluation.Parts p : parts) {
            for (Path f : p.test()) {
                SpamVerdict v = reloaded.score(SpamCheck.of(session(), new Envelope(Optional.empty(), List.of(), Map.of()), Trainer.file(f)));
                assertThat(v.reasons()).hasSize(1);
                assertThat(v.reasons().get(0).name()).startsWith("BAYES_");
                if ((v.score() > 0) == p.spam()) right++;
                all++;
            }
        }
        assertThat((double) right / all).as("share right on %d held-out messages", all).isGreaterThan(0.8);
    }

    @Test
    void crossValidationScoresEveryTrainingMessageOncePerDealingAndNeverTheTestPart() throws Exception {
        List<BayesEvaluation.Parts> parts = BayesEvaluation.split(TestCorpus.root(), 0.7, 30);
        var tokens = BayesEvaluation.tokenizeTraining(parts);
        Set<Path> train = new java.util.HashSet<>(), test = new java.util.HashSet<>();
        for (BayesEvaluation.Parts p : parts) { train.addAll(p.train()); test.addAll(p.test()); }
        assertThat(tokens.keySet()).isEqualTo(train);

        Map<Path, Double> first = new java.util.HashMap<>();
        for (long dealing : new long[] {0, 1}) {
            List<BayesEvaluation.Scored> scored = BayesEvaluation.crossValidate(parts, tokens, 5, dealing);
            assertThat(scored).hasSize(train.size());
            assertThat(scored).extracting(BayesEvaluation.Scored::file).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(train);
            if (dealing == 0) for (BayesEvaluation.Scored s : scored) first.put(s.file(), s.probability());
            else assertThat(scored).as("another dealing trains other folds together")
                    .anyMatch(s -> s.probability() != first.get(s.file()));
        }
        assertThat(train).doesNotContainAnyElementsOf(test);
    }

    @Test
    void noOpinionUntilTrained() throws Exception {
        BayesFilter filter = new BayesFilter(new TokenStore(), MapConfig.EMPTY, null, true);
        SpamVerdict v = filter.score(SpamCheck.of(session(), new Envelope(Optional.empty(), List.of(), Map.of()), MessageContent.of("Subject: x\r\n\r\nhi\r\n".getBytes())));
        assertThat(v).isEqualTo(SpamVerdict.NONE);
    }

    @Test
    void decodesQuotedPrintableBase64CharsetsAndHtml() throws Exception {
        String msg = "From: =?UTF-8?B?R3LDvMOfZQ==?= <sales@mail.example.com>\r\n"
                + "Subject: =?iso-8859-1?Q?Gratuit_=E9t=E9?=\r\n"
                + "Content-Type: multipart/alternative; boundary=b\r\n\r\n"
                + "--b\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
                + "Cr=E9dit imm=E9diat\r\n"
                + "--b\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                + java.util.Base64.getMimeEncoder().encodeToString(
                        "<html><body><font color=red>Click</font> <a href=\"http://www.win.example.net/x\">here</a>&nbsp;now</body></html>"
                                .getBytes(StandardCharsets.UTF_8)) + "\r\n"
                + "--b--\r\n";
        Set<String> t = new Tokenizer().tokenize(new ByteArrayInputStream(msg.getBytes(StandardCharsets.US_ASCII)));
        assertThat(t).contains("subject:gratuit", "subject:été", "from:name:grüße", "from:example.com", "from:mail.example.com",
                "crédit", "immédiat", "html:font:color", "click", "here", "now",
                "url:win.example.net", "url:example.net", "proto:http");
        assertThat(t).noneMatch(s -> s.contains("<"));
        assertThat(t).doesNotContain("html:font", "html:a"); // tags every HTML part has (TokenizerHtmlTest)
    }

    @Test
    void thePluginContributesOneInstanceAsFilterAndLearner() throws Exception {
        Configuration config = MapConfig.EMPTY;
        Injector i = Guice.createInjector(new AbstractModule() {
            @Override protected void configure() {
                bind(PluginContext.class).toInstance(new PluginContext("spam-bayes", config, dir, false));
            }
        }, new BayesPlugin());
        Set<SpamFilter> filters = i.getInstance(Key.get(new TypeLiteral<Set<SpamFilter>>() { }));
        Set<SpamLearner> learners = i.getInstance(Key.get(new TypeLiteral<Set<SpamLearner>>() { }));
        assertThat(filters).hasSize(1);
        assertThat(learners).hasSize(1);
        assertThat(filters.iterator().next()).isSameAs(learners.iterator().next());
    }

    static SessionInfo session() {
        return new SessionInfo("t", "smtp", new java.net.InetSocketAddress("127.0.0.1", 1), new java.net.InetSocketAddress("127.0.0.1", 2525),
                Optional.of("x"), true, false, Optional.empty());
    }
}
