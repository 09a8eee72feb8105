package org.smtpdetect.deploy;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

import javax.xml.parsers.DocumentBuilderFactory;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/** Reading the project's deployment files in tests. */
final class ProjectFiles {

    static final ObjectMapper JSON = new ObjectMapper();

    private ProjectFiles() {
    }

    /** The project's base directory (Maven runs tests there and also sets {@code basedir}). */
    static Path root() {
        return Path.of(System.getProperty("basedir", "")).toAbsolutePath();
    }

    static Path path(String relative) {
        return root().resolve(relative);
    }

    static String read(String relative) throws IOException {
        return Files.readString(path(relative), StandardCharsets.UTF_8);
    }

    /** All YAML documents of a file, as Jackson trees (parsed with YAML 1.2 core schema rules). */
    static List<JsonNode> yamlDocuments(String relative) throws IOException {
        Load load = new Load(LoadSettings.builder().setLabel(relative).build());
        List<JsonNode> documents = new ArrayList<>();
        for (Object document : load.loadAllFromString(read(relative))) {
            if (document != null) {
                documents.add(JSON.valueToTree(document));
            }
        }
        return documents;
    }

    static JsonNode yaml(String relative) throws IOException {
        List<JsonNode> documents = yamlDocuments(relative);
        if (documents.size() != 1) {
            throw new IllegalStateException(relative + " should hold one YAML document, has " + documents.size());
        }
        return documents.get(0);
    }

    static Properties properties(String text) throws IOException {
        Properties properties = new Properties();
        properties.load(new StringReader(text));
        return properties;
    }

    static Document pom() throws Exception {
        return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(path("pom.xml").toFile());
    }

    /** A property from the pom's {@code <properties>}. */
    static String pomProperty(String name) throws Exception {
        NodeList nodes = pom().getDocumentElement().getElementsByTagName("properties");
        NodeList values = ((Element) nodes.item(0)).getElementsByTagName(name);
        if (values.getLength() == 0) {
            throw new IllegalStateException("pom.xml has no property " + name);
        }
        return values.item(0).getTextContent().trim();
    }

    /** The {@code <finalName>} the shade plugin gives the job jar. */
    static String shadedJarFinalName() throws Exception {
        NodeList plugins = pom().getDocumentElement().getElementsByTagName("plugin");
        for (int i = 0; i < plugins.getLength(); i++) {
            Element plugin = (Element) plugins.item(i);
            if ("maven-shade-plugin".equals(text(plugin, "artifactId"))) {
                return text(plugin, "finalName");
            }
        }
        throw new IllegalStateException("pom.xml has no maven-shade-plugin");
    }

    private static String text(Element element, String tag) {
        NodeList nodes = element.getElementsByTagName(tag);
        return nodes.getLength() == 0 ? null : nodes.item(0).getTextContent().trim();
    }
}
