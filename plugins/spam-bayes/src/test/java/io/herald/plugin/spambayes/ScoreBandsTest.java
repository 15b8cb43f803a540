package io.herald.plugin.spambayes;

import io.herald.api.config.Configuration;
import io.herald.api.spam.SpamVerdict.Reason;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ScoreBandsTest {

    @Test
    void defaultBandsJunkAloneFromTheCrossValidatedCutOff() {
        ScoreBands b = ScoreBands.parse(ScoreBands.DEFAULT);
        assertThat(b.reason(1.0)).extracting(Reason::name, Reason::score).containsExactly("BAYES_999", 8.0);
        assertThat(b.reason(0.999)).extracting(Reason::name, Reason::score).containsExactly("BAYES_999", 8.0);
        assertThat(b.reason(0.98)).extracting(Reason::name, Reason::score).containsExactly("BAYES_98", 6.0);
        assertThat(b.reason(0.9799)).extracting(Reason::name, Reason::score).containsExactly("BAYES_95", 3.0);
        assertThat(b.reason(0.5)).extracting(Reason::name, Reason::score).containsExactly("BAYES_50", 0.5);
        assertThat(b.reason(0.0)).extracting(Reason::name, Reason::score).containsExactly("BAYES_00", -2.0);
        // the default junk threshold is 5.0: p >= 0.98 junks on Bayes alone, below it only with other filters' points
        assertThat(b.reason(0.98).score()).isGreaterThanOrEqualTo(5.0);
        assertThat(b.reason(0.9799).score()).isLessThan(5.0);
    }

    @Test
    void bandsAreNamedByTheDecimalsOfTheirLowerBound() {
        assertThat(ScoreBands.name(0.999)).isEqualTo("BAYES_999");
        assertThat(ScoreBands.name(0.98)).isEqualTo("BAYES_98");
        assertThat(ScoreBands.name(0.5)).isEqualTo("BAYES_50");
        assertThat(ScoreBands.name(0.05)).isEqualTo("BAYES_05");
        assertThat(ScoreBands.name(0)).isEqualTo("BAYES_00");
        assertThat(ScoreBands.name(1)).isEqualTo("BAYES_100");
    }

    @Test
    void theReasonSaysTheProbabilityAndTheBand() {
        assertThat(ScoreBands.parse(ScoreBands.DEFAULT).reason(0.9857).description())
                .isEqualTo("Bayes spam probability is 98.5% (band from 98%)");
    }

    @Test
    void badSpecificationsAreRefused() {
        for (String bad : new String[] {"0.9", "0.9:x", "x:1", "1.5:1, 0:0", "-0.1:1, 0:0", "0.9:NaN, 0:0", "0.9:1:2, 0:0", "0.9:1"}) {
            assertThatThrownBy(() -> ScoreBands.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void aBadConfiguredValueNamesTheKey() {
        Configuration config = MapConfig.of(Map.of("bands", "0.9:high"));
        assertThatThrownBy(() -> ScoreBands.from(config)).hasMessageContaining("bands").hasMessageContaining("0.9:high");
    }
}
