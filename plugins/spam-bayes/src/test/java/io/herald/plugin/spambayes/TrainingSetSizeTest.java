package io.herald.plugin.spambayes;

import io.herald.api.mail.Envelope;
import io.herald.api.mail.MessageContent;
import io.herald.api.spam.SpamCheck;
import io.herald.api.spam.SpamVerdict;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What docs/spam-filtering.md ("How much to train") says about the README's test mail: swaks' default message from
 * elsa to olaf has almost no words ("This is a test mailing", Subject "hello"), so its score rests on the few tokens a
 * store has seen. Trained on 200 spam and 200 ham, the filter has seen them a handful of times and is sure of them
 * one way or the other: over the 5 samples here the probability goes from 0.33 to 0.73, the last 200 of {@code spam}
 * and {@code easy_ham} by file name give 0.94, and a reviewer saw BAYES_98 (Junk). Trained on the whole corpus folders
 * (1,518 spam, 2,200 ham) it is 0.42, BAYES_20, no points. Tag {@code evaluation} (it reads the whole corpus):
 * {@code mvn -B -pl plugins/spam-bayes -am test -Dherald.excludedGroups=none -Dgroups=evaluation -Dtest=TrainingSetSizeTest -Dsurefire.failIfNoSpecifiedTests=false}
 */
@Tag("evaluation")
class TrainingSetSizeTest {

    /** What swaks sends for the README's command, with the Received line the receiving hop adds. */
    static final String README_TEST_MAIL = "Received: from vm (localhost [127.0.0.1])\r\n\tby herald.test with ESMTP id 1A23F8575BE000\r\n"
            + "\tfor <olaf@herald.test>; Fri, 04 Dec 2026 22:54:38 +0000\r\n"
            + "Date: Fri, 04 Dec 2026 22:54:38 +0000\r\nTo: olaf@herald.test\r\nFrom: elsa@herald.test\r\nSubject: hello\r\n"
            + "Message-Id: <20261204225438.024819@vm>\r\nX-Mailer: swaks v20201014.0 jetmore.org/john/code/swaks/\r\n\r\n"
            + "This is a test mailing\r\n\r\n";

    static BayesFilter trained(List<Path> spam, List<Path> ham) throws Exception {
        BayesFilter f = new BayesFilter(new TokenStore(), MapConfig.EMPTY, Path.of("target/unused-tokens.db"), true);
        new Trainer(f).learnAll(spam, true);
        new Trainer(f).learnAll(ham, false);
        return f;
    }

    static SpamVerdict score(BayesFilter f) throws Exception {
        return f.score(SpamCheck.of(BayesPipelineTest.session(), new Envelope(Optional.empty(), List.of(), Map.of()),
                MessageContent.of(README_TEST_MAIL.getBytes(StandardCharsets.US_ASCII))));
    }

    @Test
    void theReadmeTestMailIsNotJunkedByAFilterTrainedOnTheWholeCorpus() throws Exception {
        Path root = TestCorpus.root();
        List<Path> spam = Trainer.files(root.resolve("spam"));
        List<Path> ham = Trainer.files(root.resolve("ham"));

        double low = 1, high = 0;
        for (long seed = 1; seed <= 5; seed++) {
            List<Path> s = new ArrayList<>(spam), h = new ArrayList<>(ham);
            Collections.shuffle(s, new Random(seed));
            Collections.shuffle(h, new Random(seed));
            double p = trained(s.subList(0, 200), h.subList(0, 200)).classify(
                    MessageContent.of(README_TEST_MAIL.getBytes(StandardCharsets.US_ASCII))).probability();
            low = Math.min(low, p);
            high = Math.max(high, p);
        }
        System.out.printf("200 spam + 200 ham, 5 samples: p from %.3f to %.3f%n", low, high);

        BayesFilter whole = trained(spam, ham);
        SpamVerdict v = score(whole);
        System.out.printf("%d spam + %d ham: %s%n", spam.size(), ham.size(), v);
        assertThat(spam.size() + ham.size()).as("the whole corpus folders").isGreaterThan(3_000);
        assertThat(v.score()).as("the README's test mail, whole corpus: not junked (spam.cfg junk = 5.0)").isLessThan(3.0);
        assertThat(high - low).as("small samples disagree about a message with few words").isGreaterThan(0.3);
    }
}
