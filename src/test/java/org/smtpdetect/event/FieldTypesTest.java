package org.smtpdetect.event;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The bundled type table (generated from Elastic's schemas) and a site's overrides. */
class FieldTypesTest {
    private final FieldTypes bundled = FieldTypes.bundled();

    @Test
    void typesFromEcsIntegrationsBeatsAndDetectionRules() {
        assertThat(bundled.typeOf("source.ip")).hasValue(FieldType.IP); // ECS
        assertThat(bundled.typeOf("user_agent.original")).hasValue(FieldType.KEYWORD); // ECS, not in the old table
        assertThat(bundled.typeOf("message")).hasValue(FieldType.TEXT); // ECS match_only_text
        assertThat(bundled.typeOf("http.request.body.content")).hasValue(FieldType.WILDCARD); // ECS wildcard
        assertThat(bundled.typeOf("azure.activitylogs.operation_name")).hasValue(FieldType.KEYWORD); // integration
        assertThat(bundled.typeOf("powershell.file.script_block_entropy_bits")).hasValue(FieldType.DOUBLE); // integration file
        assertThat(bundled.typeOf("zoom.meeting.password")).hasValue(FieldType.KEYWORD); // Beats module
        assertThat(bundled.typeOf("endgame.metadata.type")).hasValue(FieldType.KEYWORD); // detection-rules' non-ECS schema
        assertThat(bundled.typeOf("no.such.field")).isEmpty();
        assertThat(bundled.mappingOf("message").orElseThrow().source()).isEqualTo("ecs");
    }

    @Test
    void textFieldsKnowTheirAnalyzer() {
        assertThat(bundled.analysisOf("message")).isSameAs(TextAnalysis.STANDARD);
        assertThat(bundled.analysisOf("powershell.file.script_block_text").spec()).isEqualTo("pattern:[\\W&&[^-]]+");
    }

    @Test
    void flattenedFieldsAndTheirKeysAndDynamicTemplates() {
        assertThat(bundled.typeOf("o365.audit.Members")).hasValue(FieldType.FLATTENED);
        assertThat(bundled.typeOf("o365.audit.Members.UPN")).hasValue(FieldType.FLATTENED_KEY);
        assertThat(bundled.flattenedPathOf("o365.audit.Members.UPN")).hasValue("o365.audit.Members");
        assertThat(bundled.typeOf("o365.audit.Parameters.Anything")).hasValue(FieldType.KEYWORD); // Parameters.*
        assertThat(bundled.templatesMatching("azure.auditlogs.properties.target_resources.*.display_name")).isNotEmpty();
        assertThat(bundled.isNested("email.attachments")).isTrue();
        assertThat(bundled.nestedPathOf("email.attachments.file.name")).hasValue("email.attachments");
    }

    @Test
    void overridesAddAndReplaceTypes(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("site.tsv");
        Files.writeString(file, "# our own fields\nacme.score\tlong\nsource.ip keyword\nacme.note\ttext\tpattern:\\s+\n");
        Map<String, String> o = FieldTypes.readOverrides(file);
        FieldTypes site = bundled.withOverrides(o);
        assertThat(site.typeOf("acme.score")).hasValue(FieldType.LONG);
        assertThat(site.typeOf("source.ip")).hasValue(FieldType.KEYWORD);
        assertThat(site.analysisOf("acme.note").spec()).isEqualTo("pattern:\\s+");
        assertThat(site.mappingOf("acme.score").orElseThrow().source()).isEqualTo("override");
        assertThat(bundled.typeOf("acme.score")).isEmpty();
        assertThat(bundled.withOverrides(Map.of())).isSameAs(bundled);
    }

    @Test
    void aBadOverrideLineNamesTheFileAndLine(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("bad.tsv");
        Files.writeString(file, "ok.field\tkeyword\nbad.field\tstring\n");
        assertThatThrownBy(() -> FieldTypes.readOverrides(file)).hasMessageContaining("bad.tsv:2").hasMessageContaining("bad.field\tstring");
        Files.writeString(file, "bad.field\ttext\tsnowball\n");
        assertThatThrownBy(() -> FieldTypes.readOverrides(file)).hasMessageContaining("bad.tsv:1").hasMessageContaining("unknown analyzer");
    }
}
