package io.herald.testkit;

import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * sdk/bom has no parent (so that importing it hands a plugin project only what the BOM names): its versions are
 * written out, and must be the parent's. A version bump that forgets the BOM fails here.
 */
class SdkBomTest {

    static final Path ROOT = Path.of(System.getProperty("basedir", ".")).toAbsolutePath().resolve("../..").normalize();

    static Document read(Path pom) throws Exception {
        return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(pom.toFile());
    }

    static String child(Element e, String name) {
        NodeList l = e.getChildNodes();
        for (int i = 0; i < l.getLength(); i++) {
            if (l.item(i) instanceof Element c && c.getTagName().equals(name)) return c.getTextContent().trim();
        }
        return null;
    }

    static Map<String, String> properties(Document d) {
        Map<String, String> out = new LinkedHashMap<>();
        Element props = (Element) d.getDocumentElement().getElementsByTagName("properties").item(0);
        NodeList l = props.getChildNodes();
        for (int i = 0; i < l.getLength(); i++) {
            if (l.item(i) instanceof Element c) out.put(c.getTagName(), c.getTextContent().trim());
        }
        return out;
    }

    @Test
    void theBomsVersionsAreTheParents() throws Exception {
        Document parent = read(ROOT.resolve("pom.xml"));
        Document bom = read(ROOT.resolve("sdk/bom/pom.xml"));
        String version = child(parent.getDocumentElement(), "version");
        assertThat(child(bom.getDocumentElement(), "version")).isEqualTo(version);
        Map<String, String> bomProps = properties(bom);
        Map<String, String> parentProps = properties(parent);
        assertThat(bomProps.get("herald.version")).isEqualTo(version);
        for (Map.Entry<String, String> e : bomProps.entrySet()) {
            if (e.getKey().equals("herald.version")) continue;
            assertThat(parentProps.get(e.getKey())).as("parent property %s", e.getKey()).isEqualTo(e.getValue());
        }
        assertThat(bomProps).containsKeys("guice.version", "jakarta.inject.version", "slf4j.version", "junit.version");
    }

    @Test
    void theArchetypeAndTheExampleBuildAgainstThisVersion() throws Exception {
        String version = child(read(ROOT.resolve("pom.xml")).getDocumentElement(), "version");
        assertThat(properties(read(ROOT.resolve("sdk/examples/attachment-blocker/pom.xml"))).get("herald.version")).isEqualTo(version);
        assertThat(java.nio.file.Files.readString(ROOT.resolve("docs/plugin-guide.md"))).contains("-DarchetypeVersion=" + version);
    }
}
