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
        // Goals (issue #6): FP <= 0.5 % of ham, spam recall >= 95 %. Measured on the test split: FP 0.45 %, recall 94.5 %
        // (cross-validation inside the training part: 0.39 %, 95.3 %) — the recall goal is not met on the test split
        // (docs/spam-filtering.md); this guards against regressions from the measured level.
        assertThat(c.fpRate()).as("false positives / ham").isLessThanOrEqualTo(0.005);
        assertThat(c.recall()).as("spam recall").isGreaterThanOrEqualTo(0.94);
    }
}
