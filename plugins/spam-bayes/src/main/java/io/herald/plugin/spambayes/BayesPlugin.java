package io.herald.plugin.spambayes;

import io.herald.api.plugin.HeraldPlugin;

/** Contributes the Bayesian filter, both as a {@code SpamFilter} and as a {@code SpamLearner} (one instance). */
public final class BayesPlugin extends HeraldPlugin {

    @Override
    public String configPid() {
        return "spam-bayes";
    }

    @Override
    protected void configure() {
        bind(BayesFilter.class).in(com.google.inject.Singleton.class);
        spamFilter().to(BayesFilter.class);
        spamLearner().to(BayesFilter.class);
    }
}
