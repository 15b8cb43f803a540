package io.herald.plugin.spambayes;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** How HTML markup becomes features: declarations are not words, tags every HTML part has are not features. */
class TokenizerHtmlTest {

    static Set<String> tokens(String html) throws Exception {
        String msg = "Subject: t\r\nContent-Type: text/html; charset=us-ascii\r\n\r\n" + html + "\r\n";
        return new Tokenizer().tokenize(new ByteArrayInputStream(msg.getBytes(StandardCharsets.US_ASCII)));
    }

    @Test
    void aDoctypeIsAFeatureNotWords() throws Exception {
        Set<String> t = tokens("<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.0 Transitional//EN\">\r\n"
                + "<html><body>Weekly digest</body></html>");
        assertThat(t).contains("html:!doctype", "weekly", "digest", "bi:weekly digest");
        assertThat(t).noneMatch(s -> s.contains("w3c") || s.contains("public") || s.contains("transitional") || s.contains("doctype html"));
    }

    @Test
    void wordConditionalCommentsAreMarkup() throws Exception {
        Set<String> t = tokens("<html><body><![if !supportLists]>1.<![endif]> Agenda item</body></html>");
        assertThat(t).contains("agenda", "item");
        assertThat(t).noneMatch(s -> s.contains("supportlists") || s.contains("endif"));
    }

    @Test
    void tagsEveryHtmlPartHasAreNotFeaturesButRarerTagsAndAttributesAre() throws Exception {
        Set<String> t = tokens("<html><head><title>x</title><meta name=a></head><body><table><tr><td>"
                + "<p><font color=red size=5><b>Win</b></font><br><a href=\"http://win.example.com/\">now</a>"
                + "<img src=\"http://win.example.com/a.gif\" width=\"1\" height=\"1\">"
                + "<form action=\"http://win.example.com/f\"><input type=text></form>"
                + "<div style=\"display:none\">hidden words</div></td></tr></table></body></html>");
        for (String common : Tokenizer.COMMON_TAGS) assertThat(t).doesNotContain("html:" + common);
        assertThat(t).contains("part:text/html", "html:form", "html:input", "html:font:color", "html:font:size",
                "html:tiny", "html:hidden", "url:win.example.com", "win", "now");
    }

    @Test
    void aLoneLessThanSignOrBangIsText() throws Exception {
        Set<String> t = tokens("<html><body>price < 100 and <! not closed</body></html>");
        assertThat(t).contains("price", "100", "and");
    }
}
