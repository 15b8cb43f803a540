package io.herald.plugin.spambayes;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The full corpus evaluation; not in the default run (tag {@code evaluation}, see docs/spam-filtering.md). */
@Tag("evaluation")
class BayesEvaluationTest {

    @Test
    void accuracyOnTheHeldOutTestSplit() throws Exception {
        BayesEvaluation.Confusion c = BayesEvaluation.run(TestCorpus.root(), System.out, Path.of("target/spam-eval"));
        // Goals (issue #6): FP <= 0.5 % of ham, spam recall >= 95 %. Measured once on the test split (junk from p >= 0.98):
        // FP 3/660 = 0.45 %, recall 435/455 = 95.60 % (cross-validation inside the training part, dealing 0: 7/1540 =
        // 0.45 %, 1028/1063 = 96.71 %; docs/spam-filtering.md). A regression guard at the measured level: one more false
        // positive (4/660) or one spam fewer caught (434/455) fails it. With -Dherald.eval.split=cv the figures checked
        // are those of cross-validation dealing 0, which also pass.
        assertThat(c.fpRate()).as("false positives / ham").isLessThanOrEqualTo(0.0046);
        assertThat(c.recall()).as("spam recall").isGreaterThanOrEqualTo(0.956);
    }
}
